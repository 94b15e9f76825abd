import { describe, expect, test } from "bun:test";
import {
  awsGroup,
  awsInline,
  awsManaged,
  azureById,
  azureByName,
  inlineDocument,
  NOW,
  OPTS,
  PRINCIPAL_ID,
  READER_GUID,
  SUB,
  WEEK_MS,
} from "./fixtures.ts";
import { MAX_POLICY_DOCUMENT_CHARS, type ParsedRequest, parseRequestPayload } from "./request.ts";

/** Parses a body that must be valid and returns the value. */
function accept(body: unknown, opts = OPTS): ParsedRequest {
  const r = parseRequestPayload(body, opts);
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.issues)}`);
  return r.value;
}

/** Parses a body that must be refused and returns the failing pointers, in order. */
function refuse(body: unknown, opts = OPTS): string[] {
  const r = parseRequestPayload(body, opts);
  if (r.ok) throw new Error(`expected issues, got ok: ${JSON.stringify(body)}`);
  for (const i of r.issues) expect(i.detail.length).toBeGreaterThan(0);
  return r.issues.map((i) => i.pointer);
}

function detailAt(body: unknown, pointer: string): string {
  const r = parseRequestPayload(body, OPTS);
  if (r.ok) throw new Error("expected issues");
  const issue = r.issues.find((i) => i.pointer === pointer);
  if (!issue) throw new Error(`no issue at ${pointer}: ${JSON.stringify(r.issues)}`);
  return issue.detail;
}

const hours = (n: number) => n * 3600_000;

describe("valid AWS requests", () => {
  test("managed_policy with a duration: expiry is now + duration", () => {
    const v = accept(awsManaged);
    expect(v.payload).toEqual(awsManaged);
    expect(v.expiresAt?.toISOString()).toBe("2030-01-01T02:00:00.000Z");
  });

  test("managed_policy for role and group principals, customer, China and GovCloud ARNs", () => {
    for (const [principal, arn] of [
      [{ type: "role", name: "deployer" }, "arn:aws:iam::123456789012:policy/team/app/deploy-policy"],
      [{ type: "group", name: "auditors" }, "arn:aws-cn:iam::aws:policy/SecurityAudit"],
      [{ type: "user", name: "svc+ci=1,x.y@z_w-v" }, "arn:aws-us-gov:iam::123456789012:policy/Ops"],
      // Dots inside a segment are ordinary characters; only whole "." / ".." segments are refused.
      [{ type: "user", name: "alice" }, "arn:aws:iam::123456789012:policy/.team/..x/a.b..c"],
      [{ type: "user", name: "alice" }, "arn:aws:iam::123456789012:policy/..."],
    ] as const) {
      const v = accept({ ...awsManaged, principal, permission: { type: "managed_policy", policy_arn: arn } });
      expect(v.payload.provider === "aws" && v.payload.principal).toEqual(principal);
    }
  });

  test("group_membership for a user with expires_at", () => {
    const v = accept(awsGroup);
    expect(v.expiresAt?.toISOString()).toBe("2030-01-01T08:00:00.000Z");
    expect(v.payload).toEqual(awsGroup);
  });

  test("inline_policy with a statement array and conditions", () => {
    const v = accept(awsInline);
    expect<unknown>(v.payload).toEqual(awsInline);
    expect(v.expiresAt?.getTime()).toBe(NOW.getTime() + 30 * 60_000);
  });

  test("inline_policy with a single statement object, NotAction and NotResource", () => {
    const document = {
      Version: "2012-10-17",
      Id: "doc-1",
      Statement: { Effect: "Deny", NotAction: "iam:*", NotResource: ["arn:aws:s3:::public/*"] },
    };
    const v = accept({ ...awsInline, permission: { ...awsInline.permission, document } });
    expect<unknown>(v.payload.provider === "aws" && v.payload.permission).toEqual({
      type: "inline_policy",
      policy_name: "read-reports",
      document,
    });
  });

  test("free-text fields accept printable Unicode, emoji included", () => {
    const v = accept({
      ...awsManaged,
      requested_by: "Zoë O'Brien",
      ticket: "INC-42",
      justification: "on call 🚒 — DB",
    });
    expect(v.payload.justification).toBe("on call 🚒 — DB");
  });

  test("revoke needs no expiry and has none", () => {
    const { duration: _, ...rest } = awsManaged;
    const v = accept({ ...rest, action: "revoke" });
    expect(v.expiresAt).toBeNull();
    expect(v.payload.action).toBe("revoke");
  });
});

describe("valid Azure requests", () => {
  test("role by name at a subscription", () => {
    const v = accept(azureByName);
    expect(v.payload).toEqual(azureByName);
    expect(v.expiresAt?.toISOString()).toBe("2030-01-01T01:00:00.000Z");
  });

  test("role by definition GUID at a resource group, expires_at with an offset", () => {
    const v = accept(azureById);
    expect(v.expiresAt?.toISOString()).toBe("2030-01-01T22:00:00.000Z");
  });

  test("role by full definition id at a resource", () => {
    const scope = `/subscriptions/${SUB}/resourceGroups/rg-dev/providers/Microsoft.Storage/storageAccounts/acct1/blobServices/default`;
    const definition_id = `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${READER_GUID}`;
    const v = accept({ ...azureById, role: { definition_id }, scope });
    expect(v.payload.provider === "azure" && v.payload.scope).toBe(scope);
  });

  test("management group scope, lower-case ARM words, any GUID form of an object id", () => {
    for (const scope of [
      "/providers/Microsoft.Management/managementGroups/mg-platform",
      `/subscriptions/${SUB.toUpperCase()}/resourcegroups/RG_1.(x)`,
    ]) {
      expect(accept({ ...azureByName, scope }).payload).toMatchObject({ scope });
    }
    // Not an RFC 9562 version/variant, but a GUID Azure accepts as an object id.
    const id = "11111111-1111-1111-1111-111111111111";
    expect(accept({ ...azureByName, principal: { id, type: "Group" } }).payload).toMatchObject({
      principal: { id },
    });
  });

  test("durations of a few seconds are valid, and exactly the maximum is", () => {
    expect(accept({ ...azureByName, duration: "PT5S" }).expiresAt?.getTime()).toBe(NOW.getTime() + 5000);
    expect(accept({ ...azureByName, duration: "P1W" }).expiresAt?.getTime()).toBe(NOW.getTime() + WEEK_MS);
    expect(accept({ ...azureByName, duration: "P1DT1H30M" }).expiresAt?.getTime()).toBe(
      NOW.getTime() + hours(25.5),
    );
  });
});

describe("unknown fields", () => {
  test("each unknown top-level field has its own pointer", () => {
    expect(refuse({ ...awsManaged, foo: 1, bar: null })).toEqual(["/foo", "/bar"]);
  });

  test("unknown nested fields, at every depth", () => {
    expect(refuse({ ...awsManaged, principal: { type: "user", name: "alice", arn: "x" } })).toEqual([
      "/principal/arn",
    ]);
    expect(refuse({ ...awsManaged, permission: { ...awsManaged.permission, extra: true } })).toEqual([
      "/permission/extra",
    ]);
    expect(refuse({ ...azureByName, role: { name: "Reader", scope: "x" } })).toEqual(["/role/scope"]);
    // A resource policy's Principal has no place in an identity policy.
    const document = { ...inlineDocument, Statement: [{ ...inlineDocument.Statement[0], Principal: "*" }] };
    expect(refuse({ ...awsInline, permission: { ...awsInline.permission, document } })).toEqual([
      "/permission/document/Statement/0/Principal",
    ]);
  });

  test("pointers escape ~ and / (RFC 6901)", () => {
    expect(refuse({ ...awsManaged, "a/b~c": 1 })).toEqual(["/a~1b~0c"]);
  });

  test("__proto__ is an unknown field, not a prototype", () => {
    expect(
      refuse(JSON.parse(`{"__proto__": {"action": "grant"}, ${JSON.stringify(awsManaged).slice(1)}`)),
    ).toEqual(["/__proto__"]);
  });
});

describe("wrong types and shapes", () => {
  test("a body that is not an object is refused at the root", () => {
    for (const body of [null, 42, "grant", [], true]) expect(refuse(body)).toEqual(["/"]);
  });

  test("missing or unknown provider", () => {
    const { provider: _, ...rest } = awsManaged;
    expect(refuse(rest)).toContain("/provider");
    expect(refuse({ ...awsManaged, provider: "gcp" })).toEqual(["/provider"]);
  });

  test("fields of the wrong type each report their pointer", () => {
    expect(refuse({ ...awsManaged, principal: { type: "user", name: 7 } })).toEqual(["/principal/name"]);
    expect(refuse({ ...awsManaged, action: "delete" })).toEqual(["/action"]);
    expect(refuse({ ...awsManaged, principal: { type: "robot", name: "x" } })).toEqual(["/principal/type"]);
    expect(refuse({ ...awsManaged, permission: { type: "admin" } })).toEqual(["/permission/type"]);
    expect(refuse({ ...azureByName, principal: { id: PRINCIPAL_ID, type: "user" } })).toEqual([
      "/principal/type",
    ]);
    expect(refuse({ ...azureByName, ticket: 12 })).toEqual(["/ticket"]);
    expect(refuse({ ...azureByName, duration: 3600 })).toEqual(["/duration"]);
  });

  test("a union reports inside the branch the value was meant for", () => {
    const doc = (Statement: unknown) => ({
      ...awsInline,
      permission: { ...awsInline.permission, document: { Version: "2012-10-17", Statement } },
    });
    expect(refuse(doc({ Effect: "Allow", Action: 5, Resource: "*" }))).toEqual([
      "/permission/document/Statement/Action",
    ]);
    expect(refuse(doc([{ Effect: "Allow", Action: ["s3:Get", 5], Resource: "*" }]))).toEqual([
      "/permission/document/Statement/0/Action/1",
    ]);
    expect(refuse(doc("Allow everything"))).toEqual(["/permission/document/Statement"]);
    expect(refuse(doc([]))).toEqual(["/permission/document/Statement"]);
    expect(refuse({ ...azureByName, role: { name: "Reader", definition_id: READER_GUID } })).toEqual([
      "/role",
    ]);
    expect(refuse({ ...azureByName, role: {} })).toEqual(["/role"]);
  });

  test("a statement needs exactly one of Action/NotAction and of Resource/NotResource", () => {
    const withStatement = (s: Record<string, unknown>) => ({
      ...awsInline,
      permission: { ...awsInline.permission, document: { Version: "2012-10-17", Statement: [s] } },
    });
    expect(refuse(withStatement({ Effect: "Allow", Resource: "*" }))).toEqual([
      "/permission/document/Statement/0/Action",
    ]);
    expect(refuse(withStatement({ Effect: "Allow", Action: "s3:*", NotAction: "iam:*" }))).toEqual([
      "/permission/document/Statement/0/Action",
      "/permission/document/Statement/0/Resource",
    ]);
  });
});

describe("identifiers", () => {
  test.each([
    "arn:aws:iam::aws:ReadOnlyAccess",
    "arn:aws:s3:::my-bucket",
    "arn:aws:iam::12345678901:policy/Short",
    "arn:aws:iam::aws:policy/Read Only",
    "arn:aws:iam::aws:policy/",
    "arn:azure:iam::aws:policy/x",
    ` arn:aws:iam::aws:policy/ReadOnlyAccess`,
    `arn:aws:iam::aws:policy/${"x".repeat(129)}`,
    // Dot segments and empty segments: read one way by a guardrail, another by a path resolver.
    "arn:aws:iam::aws:policy/ReadOnly/../AdministratorAccess",
    "arn:aws:iam::aws:policy/../AdministratorAccess",
    "arn:aws:iam::aws:policy/./ReadOnlyAccess",
    "arn:aws:iam::aws:policy/team/.",
    "arn:aws:iam::aws:policy/team/..",
    "arn:aws:iam::aws:policy/..",
    "arn:aws:iam::aws:policy/.",
    "arn:aws:iam::aws:policy//x",
    "arn:aws:iam::aws:policy/team//x",
    "arn:aws:iam::aws:policy/team/",
  ])("invalid policy ARN %p", (policy_arn) => {
    expect(refuse({ ...awsManaged, permission: { type: "managed_policy", policy_arn } })).toEqual([
      "/permission/policy_arn",
    ]);
  });

  test.each([
    "/subscriptions/not-a-guid",
    `subscriptions/${SUB}`,
    `/subscriptions/${SUB}/`,
    `/subscriptions/${SUB}/resourceGroups/`,
    `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage`,
    `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts`,
    `/subscriptions/${SUB}/resourceGroups/rg dev`,
    `/subscriptions/${SUB}/resourceGroups/rg%2Fprod`,
    "/providers/Microsoft.Management/managementGroups/",
    "https://management.azure.com/subscriptions/x",
    // Dot segments would be resolved by the HTTP client into another scope than the one checked.
    `/subscriptions/${SUB}/resourceGroups/rg-dev/providers/Microsoft.Storage/../../../../resourceGroups/rg-prod`,
    `/subscriptions/${SUB}/resourceGroups/..`,
    `/subscriptions/${SUB}/resourceGroups/rg/providers/../x/y`,
  ])("invalid scope %p", (scope) => {
    expect(refuse({ ...azureByName, scope })).toEqual(["/scope"]);
  });

  test("invalid UUIDs and role definition ids", () => {
    for (const id of ["not-a-uuid", "6f1a2b3c4d5e4f608a7b9c0d1e2f3a4b", `${PRINCIPAL_ID}x`, ""]) {
      expect(refuse({ ...azureByName, principal: { id, type: "User" } })).toEqual(["/principal/id"]);
    }
    expect(detailAt({ ...azureByName, principal: { id: "nope", type: "User" } }, "/principal/id")).toBe(
      "must be a UUID",
    );
    for (const definition_id of ["Reader", `/roleDefinitions/${READER_GUID}`, `${READER_GUID}0`]) {
      expect(refuse({ ...azureById, role: { definition_id } })).toEqual(["/role/definition_id"]);
    }
  });

  test("IAM names outside IAM's character set", () => {
    expect(refuse({ ...awsManaged, principal: { type: "user", name: "al ice" } })).toEqual([
      "/principal/name",
    ]);
    expect(refuse({ ...awsGroup, permission: { type: "group_membership", group: "dev/ops" } })).toEqual([
      "/permission/group",
    ]);
  });
});

describe("group_membership", () => {
  test.each(["role", "group"])("refuses a %s principal, pointing at its type", (type) => {
    const body = { ...awsGroup, principal: { type, name: "x" } };
    expect(refuse(body)).toEqual(["/principal/type"]);
    expect(detailAt(body, "/principal/type")).toContain("user");
  });
});

describe("expiry", () => {
  const { duration: _, ...noExpiry } = awsManaged;

  test("in the past, or exactly now", () => {
    expect(refuse({ ...noExpiry, expires_at: "2029-12-31T23:59:59Z" })).toEqual(["/expires_at"]);
    expect(refuse({ ...noExpiry, expires_at: NOW.toISOString() })).toEqual(["/expires_at"]);
    expect(detailAt({ ...noExpiry, expires_at: "2000-01-01T00:00:00Z" }, "/expires_at")).toContain("future");
  });

  test("above maxDurationMs, by expires_at or by duration; one millisecond is enough", () => {
    const opts = { now: NOW, maxDurationMs: hours(8) };
    expect(accept({ ...noExpiry, expires_at: "2030-01-01T08:00:00Z" }, opts).expiresAt).toEqual(
      new Date("2030-01-01T08:00:00Z"),
    );
    expect(refuse({ ...noExpiry, expires_at: "2030-01-01T08:00:00.001Z" }, opts)).toEqual(["/expires_at"]);
    expect(refuse({ ...noExpiry, duration: "PT8H0.001S" }, opts)).toEqual(["/duration"]);
    expect(refuse({ ...noExpiry, duration: "P400W" }, opts)).toEqual(["/duration"]);
    // So large that now + duration is not a representable date: still just "too long".
    expect(refuse({ ...noExpiry, duration: "P99999999999999W" }, opts)).toEqual(["/duration"]);
  });

  test("both expires_at and duration", () => {
    expect(refuse({ ...noExpiry, expires_at: "2030-01-01T01:00:00Z", duration: "PT1H" })).toEqual([
      "/duration",
    ]);
  });

  test("neither on a grant", () => {
    expect(refuse(noExpiry)).toEqual(["/expires_at"]);
    expect(detailAt(noExpiry, "/expires_at")).toContain("needs expires_at or duration");
  });

  test("any expiry on a revoke", () => {
    const revoke = { ...noExpiry, action: "revoke" };
    expect(refuse({ ...revoke, expires_at: "2030-01-01T01:00:00Z" })).toEqual(["/expires_at"]);
    expect(refuse({ ...revoke, duration: "PT1H" })).toEqual(["/duration"]);
    expect(refuse({ ...revoke, expires_at: "2030-01-01T01:00:00Z", duration: "PT1H" })).toEqual([
      "/expires_at",
      "/duration",
    ]);
  });

  test.each([
    "2030-01-01T01:00:00",
    "2030-01-01 01:00:00Z",
    "2030-02-30T00:00:00Z",
    "tomorrow",
    "1893456000",
  ])("expires_at %p is not an RFC 3339 date-time with offset", (expires_at) => {
    expect(refuse({ ...noExpiry, expires_at })).toEqual(["/expires_at"]);
  });

  test.each(["PT0S", "P1M", "P1Y", "PT", "P", "-PT1H", "PT1H ", "2h", "P1DT"])(
    "duration %p is refused",
    (d) => {
      expect(refuse({ ...noExpiry, duration: d })).toEqual(["/duration"]);
    },
  );
});

describe("text fields", () => {
  test.each([
    ["NUL", "a\u0000b"],
    ["newline", "line1\nline2"],
    ["escape sequence", "\u001b[31mred"],
    ["DEL", "x\u007f"],
    ["C1 control", "x\u0085y"],
    ["line separator", "x\u2028y"],
    ["bidi override", "\u202etxt.exe"],
    ["lone surrogate", "a\ud800b"],
  ])("%s is refused in every free-text field", (_, bad) => {
    expect(refuse({ ...awsManaged, requested_by: bad, ticket: bad, justification: bad })).toEqual([
      "/requested_by",
      "/ticket",
      "/justification",
    ]);
  });

  test("over-long strings, at the bound and one past it", () => {
    expect(accept({ ...awsManaged, ticket: "t".repeat(128) }).payload.ticket).toHaveLength(128);
    expect(refuse({ ...awsManaged, ticket: "t".repeat(129) })).toEqual(["/ticket"]);
    expect(refuse({ ...awsManaged, justification: "j".repeat(2001) })).toEqual(["/justification"]);
    expect(refuse({ ...awsManaged, requested_by: "r".repeat(257) })).toEqual(["/requested_by"]);
    expect(refuse({ ...awsManaged, principal: { type: "user", name: "u".repeat(65) } })).toEqual([
      "/principal/name",
    ]);
    expect(
      accept({ ...awsManaged, principal: { type: "group", name: "g".repeat(128) } }).payload,
    ).toBeDefined();
    expect(refuse({ ...azureByName, role: { name: "R".repeat(257) } })).toEqual(["/role/name"]);
    expect(
      refuse({ ...azureByName, scope: `/subscriptions/${SUB}/resourceGroups/${"r".repeat(91)}` }),
    ).toEqual(["/scope"]);
  });

  test("empty strings are refused", () => {
    expect(refuse({ ...awsManaged, ticket: "" })).toEqual(["/ticket"]);
  });
});

describe("inline policy size", () => {
  /** A document whose compact JSON is exactly `chars` characters long. */
  function documentOf(chars: number) {
    const base = {
      Version: "2012-10-17",
      Statement: { Effect: "Allow", Action: "s3:GetObject", Resource: [""] },
    };
    const overhead = JSON.stringify(base).length;
    const parts: string[] = [];
    let left = chars - overhead;
    // Resource strings are at most 2048 characters; each extra one costs 3 more (quotes, comma).
    while (left > 2048) {
      parts.push("r".repeat(2000));
      left -= 2003;
    }
    parts.push("r".repeat(left));
    const doc = { ...base, Statement: { ...base.Statement, Resource: parts } };
    expect(JSON.stringify(doc).length).toBe(chars);
    return doc;
  }
  const withDoc = (document: unknown) => ({
    ...awsInline,
    permission: { ...awsInline.permission, document },
  });

  test(`a document of ${MAX_POLICY_DOCUMENT_CHARS} characters is accepted, one more is refused`, () => {
    expect(accept(withDoc(documentOf(MAX_POLICY_DOCUMENT_CHARS))).payload.provider).toBe("aws");
    expect(refuse(withDoc(documentOf(MAX_POLICY_DOCUMENT_CHARS + 1)))).toEqual(["/permission/document"]);
    expect(detailAt(withDoc(documentOf(20_000)), "/permission/document")).toContain(
      String(MAX_POLICY_DOCUMENT_CHARS),
    );
  });

  test("a bad condition key is reported at that key", () => {
    const Condition = { "Bad\u0001Op": { "aws:x": "y" }, StringEquals: { "": "y" } };
    const document = { ...inlineDocument, Statement: { ...inlineDocument.Statement[0], Condition } };
    expect(refuse(withDoc(document))).toEqual([
      "/permission/document/Statement/Condition/Bad\u0001Op",
      "/permission/document/Statement/Condition/StringEquals/",
    ]);
  });

  test("more than 20 condition operators", () => {
    const Condition = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`Op${i}`, { "aws:x": "y" }]));
    const document = { ...inlineDocument, Statement: { ...inlineDocument.Statement[0], Condition } };
    expect(refuse(withDoc(document))).toEqual(["/permission/document/Statement/Condition"]);
  });

  test("deeply nested junk is refused without a crash, at the right place", () => {
    let arrays: unknown = "s3:GetObject";
    let objects: unknown = "x";
    for (let i = 0; i < 10_000; i++) {
      arrays = [arrays];
      objects = { k: objects };
    }
    const statement = {
      Effect: "Allow",
      Action: arrays,
      Resource: "*",
      Condition: { StringEquals: objects },
    };
    expect(refuse(withDoc({ Version: "2012-10-17", Statement: statement }))).toEqual([
      "/permission/document/Statement/Action/0",
      "/permission/document/Statement/Condition/StringEquals/k",
    ]);
    // The same nesting arriving as JSON text, and as the whole document or Statement.
    const deep = JSON.parse(`${"[".repeat(5000)}1${"]".repeat(5000)}`);
    expect(refuse(withDoc(deep))).toEqual(["/permission/document"]);
    expect(refuse(withDoc({ Version: "2012-10-17", Statement: deep }))).toEqual([
      "/permission/document/Statement/0",
    ]);
  });
});

describe("every failing path is listed", () => {
  test("schema issues and clock issues together, not only the first", () => {
    const pointers = refuse({
      provider: "aws",
      action: "grant",
      principal: { type: "user", name: "bad name" },
      permission: { type: "managed_policy", policy_arn: "not-an-arn", note: "x" },
      expires_at: "2001-01-01T00:00:00Z",
      ticket: "a\u0000",
      color: "blue",
    });
    expect(pointers.sort()).toEqual(
      [
        "/color",
        "/expires_at",
        "/permission/note",
        "/permission/policy_arn",
        "/principal/name",
        "/ticket",
      ].sort(),
    );
  });

  test("Azure: several fields at once", () => {
    const pointers = refuse({
      provider: "azure",
      action: "grant",
      principal: { id: "x", type: "Robot" },
      role: { name: "Reader!" },
      scope: "/nowhere",
    });
    expect(pointers.sort()).toEqual([
      "/expires_at",
      "/principal/id",
      "/principal/type",
      "/role/name",
      "/scope",
    ]);
  });

  test("the same pointer and detail is never listed twice", () => {
    const r = parseRequestPayload({ ...awsManaged, expires_at: "x", duration: "y" }, OPTS);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const keys = r.issues.map((i) => `${i.pointer} ${i.detail}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(r.issues.map((i) => i.pointer)).toContain("/expires_at");
    expect(r.issues.map((i) => i.pointer)).toContain("/duration");
  });
});
