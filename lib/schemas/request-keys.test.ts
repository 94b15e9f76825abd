import { describe, expect, test } from "bun:test";
import { accessKeyOf as accessKey } from "../providers/access-key.ts";
import {
  awsGroup,
  awsInline,
  awsManaged,
  azureById,
  azureByName,
  OPTS,
  PRINCIPAL_ID,
  READER_GUID,
  SUB,
} from "./fixtures.ts";
import {
  normalizeScope,
  parseRequestPayload,
  principalOf,
  type RequestPayload,
  roleGuid,
} from "./request.ts";

function payload(body: unknown): RequestPayload {
  const r = parseRequestPayload(body, OPTS);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value.payload;
}

describe("accessKey: same access, same key", () => {
  test("Azure: a built-in role by name and by definition id is one access", () => {
    const byName = payload({ ...azureByName, role: { name: "Reader" } });
    const byId = payload({ ...azureByName, role: { definition_id: READER_GUID } });
    expect(byName.provider === "azure" && byId.provider === "azure").toBe(true);
    expect(accessKey(byName)).toBe(accessKey(byId));
  });

  test("AWS: principal case does not matter; a policy ARN in another case is another policy", () => {
    const managed = (name: string, policy_arn: string) =>
      payload({
        ...awsManaged,
        principal: { type: "user", name },
        permission: { type: "managed_policy", policy_arn },
      });
    const a = managed("Alice", "arn:aws:iam::aws:policy/ReadOnlyAccess");
    const b = managed("alice", "arn:aws:iam::aws:policy/ReadOnlyAccess");
    // IAM resolves an ARN only as written: this one names no policy at all.
    const c = managed("alice", "arn:aws:iam::aws:policy/readonlyaccess");
    expect(accessKey(a)).toBe(accessKey(b));
    expect(accessKey(c)).not.toBe(accessKey(a));
  });

  test("Azure: scope case and ARM word case do not matter", () => {
    const a = payload({ ...azureByName, scope: `/subscriptions/${SUB}/resourceGroups/RG-Dev` });
    const b = payload({ ...azureByName, scope: `/SUBSCRIPTIONS/${SUB.toUpperCase()}/resourcegroups/rg-dev` });
    expect(accessKey(a)).toBe(accessKey(b));
  });

  test("Azure: a role GUID, upper-cased or as a full definition id, is the same role", () => {
    const forms = [
      READER_GUID,
      READER_GUID.toUpperCase(),
      `/providers/Microsoft.Authorization/roleDefinitions/${READER_GUID}`,
      `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${READER_GUID.toUpperCase()}`,
    ];
    const keys = new Set(
      forms.map((definition_id) => accessKey(payload({ ...azureById, role: { definition_id } }))),
    );
    expect(keys.size).toBe(1);
  });

  test("Azure: role names and principal ids are compared without case", () => {
    const a = payload({ ...azureByName, role: { name: "Storage Blob Data Reader" } });
    const b = payload({
      ...azureByName,
      principal: { id: PRINCIPAL_ID.toUpperCase(), type: "User" },
      role: { name: "storage blob data reader" },
    });
    expect(accessKey(a)).toBe(accessKey(b));
  });

  test("Azure: the principal type and the expiry are not part of the access", () => {
    const a = payload({ ...azureByName, principal: { id: PRINCIPAL_ID, type: "User" }, duration: "PT1H" });
    const b = payload({ ...azureByName, principal: { id: PRINCIPAL_ID, type: "Group" }, duration: "PT5H" });
    expect(accessKey(a)).toBe(accessKey(b));
  });

  test("AWS: IAM principal names are unique regardless of case, so their case does not split a key", () => {
    const a = payload(awsManaged);
    const b = payload({ ...awsManaged, principal: { type: "user", name: "ALICE" } });
    expect(accessKey(a)).toBe(accessKey(b));
  });

  test("AWS: group names are compared without case", () => {
    const a = payload(awsGroup);
    const b = payload({
      ...awsGroup,
      principal: { type: "user", name: "BOB" },
      permission: { type: "group_membership", group: "Developers" },
    });
    expect(accessKey(a)).toBe(accessKey(b));
  });

  test("AWS: an inline policy is identified by its name, not its document", () => {
    const other = { Version: "2012-10-17", Statement: { Effect: "Allow", Action: "ec2:*", Resource: "*" } };
    const a = payload(awsInline);
    const b = payload({ ...awsInline, permission: { ...awsInline.permission, document: other } });
    expect(accessKey(a)).toBe(accessKey(b));
  });
});

describe("accessKey: different access, different key", () => {
  test("each part of an Azure assignment changes the key", () => {
    const base = accessKey(payload(azureByName));
    const variants = [
      { ...azureByName, scope: `/subscriptions/${SUB}/resourceGroups/rg-dev` },
      { ...azureByName, role: { name: "Contributor" } },
      { ...azureByName, principal: { id: "00000000-0000-4000-8000-000000000001", type: "User" } },
    ];
    for (const v of variants) expect(accessKey(payload(v))).not.toBe(base);
  });

  test("Azure: a resource group and one with a longer name are different scopes", () => {
    const a = payload({ ...azureByName, scope: `/subscriptions/${SUB}/resourceGroups/rg-dev` });
    const b = payload({ ...azureByName, scope: `/subscriptions/${SUB}/resourceGroups/rg-dev2` });
    expect(accessKey(a)).not.toBe(accessKey(b));
  });

  test("AWS: principal type, permission kind and target each change the key", () => {
    const keys = [
      payload(awsManaged),
      payload({ ...awsManaged, principal: { type: "role", name: "alice" } }),
      payload({
        ...awsManaged,
        permission: { type: "managed_policy", policy_arn: "arn:aws:iam::aws:policy/ViewOnly" },
      }),
      payload({ ...awsGroup, principal: { type: "user", name: "alice" } }),
      payload({
        ...awsGroup,
        principal: { type: "user", name: "alice" },
        permission: { type: "group_membership", group: "ops" },
      }),
      payload({ ...awsInline, principal: { type: "user", name: "alice" } }),
    ].map(accessKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  test("AWS: inline policy names keep their case (merging them could outlive an expiry)", () => {
    const a = payload(awsInline);
    const b = payload({ ...awsInline, permission: { ...awsInline.permission, policy_name: "Read-Reports" } });
    expect(accessKey(a)).not.toBe(accessKey(b));
  });

  test("AWS and Azure keys never collide: they carry the provider", () => {
    expect(accessKey(payload(awsManaged)).startsWith("aws:")).toBe(true);
    expect(accessKey(payload(azureByName)).startsWith("azure:")).toBe(true);
  });
});

describe("principalOf", () => {
  test("AWS: <type>/<name>, as written", () => {
    expect(principalOf(payload(awsManaged))).toBe("user/alice");
    expect(principalOf(payload(awsInline))).toBe("role/batch-runner");
  });

  test("Azure: the object id, lower-cased", () => {
    const p = payload({ ...azureByName, principal: { id: PRINCIPAL_ID.toUpperCase(), type: "User" } });
    expect(principalOf(p)).toBe(PRINCIPAL_ID);
  });
});

describe("helpers", () => {
  test("roleGuid takes the last segment, lower-cased", () => {
    expect(roleGuid(READER_GUID.toUpperCase())).toBe(READER_GUID);
    expect(roleGuid(`/providers/Microsoft.Authorization/roleDefinitions/${READER_GUID}`)).toBe(READER_GUID);
  });

  test("normalizeScope: one leading slash, no trailing slash, lower case", () => {
    expect(normalizeScope("/Subscriptions/ABC/")).toBe("/subscriptions/abc");
    expect(normalizeScope("//subscriptions/abc//")).toBe("/subscriptions/abc");
    expect(normalizeScope("subscriptions/abc")).toBe("/subscriptions/abc");
    expect(normalizeScope("/")).toBe("/");
  });
});
