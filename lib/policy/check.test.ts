import { describe, expect, test } from "bun:test";
import { PolicyDeniedError } from "../errors/http-errors.ts";
import {
  awsGroup,
  awsInline,
  awsManaged,
  azureById,
  azureByName,
  NOW,
  OPTS,
  READER_GUID,
  SUB,
} from "../schemas/fixtures.ts";
import { type ParsedRequest, parseRequestPayload } from "../schemas/request.ts";
import { checkCallbackUrl, checkExtendPolicy, checkPolicy, checkRevokePolicy } from "./check.ts";
import type { ClientPolicy, Policy } from "./schema.ts";

function req(body: unknown): ParsedRequest {
  const r = parseRequestPayload(body, OPTS);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
}

const policyFor = (rules: ClientPolicy, client = "ticketing"): Policy => ({ clients: { [client]: rules } });

/** The denial checkPolicy throws, or undefined when it allows. */
function denial(policy: Policy | null, body: unknown, client = "ticketing"): PolicyDeniedError | undefined {
  try {
    checkPolicy(policy, client, req(body), NOW);
    return undefined;
  } catch (e) {
    if (e instanceof PolicyDeniedError) return e;
    throw e;
  }
}

function expectDenied(
  policy: Policy | null,
  body: unknown,
  rule: string,
  value: string,
  client = "ticketing",
) {
  const e = denial(policy, body, client);
  expect(e).toBeInstanceOf(PolicyDeniedError);
  expect(e?.rule).toBe(rule);
  expect(e?.code).toBe("forbidden_by_policy");
  expect(e?.message).toContain(rule);
  expect(e?.message).toContain(value);
}

const expectAllowed = (policy: Policy | null, body: unknown, client = "ticketing") =>
  expect(denial(policy, body, client)).toBeUndefined();

// The client of the brief: AWS only, read-only managed policies, at most 8 hours.
const readOnly = policyFor({
  providers: ["aws"],
  max_duration: "PT8H",
  aws: { policy_arns: ["arn:aws:iam::aws:policy/ReadOnly*"] },
});
const admin = { type: "managed_policy", policy_arn: "arn:aws:iam::aws:policy/AdministratorAccess" };

describe("a client limited to AWS and arn:aws:iam::aws:policy/ReadOnly* for 8 hours", () => {
  test("is allowed ReadOnlyAccess for 2 hours, and for exactly 8", () => {
    expectAllowed(readOnly, awsManaged);
    expectAllowed(readOnly, { ...awsManaged, duration: "PT8H" });
  });

  test("is refused a policy below a ReadOnly path: * does not cross /", () => {
    const below = {
      type: "managed_policy",
      policy_arn: "arn:aws:iam::aws:policy/ReadOnly/AdministratorAccess",
    };
    expectDenied(readOnly, { ...awsManaged, permission: below }, "aws.policy_arns", "ReadOnly/Administrator");
  });

  test("is refused Azure", () => {
    expectDenied(readOnly, azureByName, "providers", "azure");
  });

  test("is refused AdministratorAccess", () => {
    expectDenied(readOnly, { ...awsManaged, permission: admin }, "aws.policy_arns", "AdministratorAccess");
  });

  test("is refused a duration above its maximum, however it is given", () => {
    expectDenied(readOnly, { ...awsManaged, duration: "PT8H1S" }, "max_duration", "PT8H");
    const { duration: _, ...rest } = awsManaged;
    expectDenied(readOnly, { ...rest, expires_at: "2030-01-01T09:00:00Z" }, "max_duration", "PT8H");
  });

  test("is refused group memberships and inline policies it was not given", () => {
    expectDenied(readOnly, awsGroup, "aws.groups", "developers");
    expectDenied(readOnly, awsInline, "aws.inline_policies", "inline");
  });
});

describe("no policy file", () => {
  test("allows every valid request of every client", () => {
    for (const body of [
      awsManaged,
      awsGroup,
      awsInline,
      azureByName,
      azureById,
      { ...awsManaged, permission: admin },
    ]) {
      expectAllowed(null, body, "anyone");
    }
  });
});

describe("rule: clients", () => {
  test("a client not in the file is refused everything", () => {
    expectDenied(readOnly, awsManaged, "clients", "hr", "hr");
  });

  test("names that exist on every object are not clients", () => {
    for (const name of ["constructor", "toString", "hasOwnProperty", "__proto__"]) {
      expectDenied(readOnly, awsManaged, "clients", name, name);
    }
  });

  test("an empty policy refuses everyone", () => {
    expectDenied({ clients: {} }, awsManaged, "clients", "ticketing");
  });
});

describe("rule: actions", () => {
  const grantOnly = policyFor({ providers: ["aws"], actions: ["grant"], aws: { policy_arns: ["**"] } });
  const { duration: _, ...rest } = awsManaged;
  const revoke = { ...rest, action: "revoke" };

  test("a grant-only client may not revoke", () => {
    expectAllowed(grantOnly, awsManaged);
    expectDenied(grantOnly, revoke, "actions", "revoke");
  });

  test("both actions by default", () => {
    expectAllowed(policyFor({ providers: ["aws"], aws: { policy_arns: ["**"] } }), revoke);
  });

  test("a revoke is held to the permission rules too, but not to max_duration", () => {
    expectAllowed(readOnly, revoke);
    expectDenied(readOnly, { ...revoke, permission: admin }, "aws.policy_arns", "AdministratorAccess");
  });
});

describe("rule: providers", () => {
  test("a provider not listed is refused, each way round", () => {
    const azureOnly = policyFor({ providers: ["azure"], azure: { roles: ["*"], scope_prefixes: ["/"] } });
    expectAllowed(azureOnly, azureByName);
    expectDenied(azureOnly, awsManaged, "providers", "aws");
    expectDenied(policyFor({ providers: [] }), azureByName, "providers", "azure");
  });
});

describe("AWS rules", () => {
  const rules = (aws: ClientPolicy["aws"]) => policyFor({ providers: ["aws"], aws });

  test("aws.policy_arns: globs, case-sensitive; none listed allows none", () => {
    const p = rules({ policy_arns: ["arn:aws:iam::123456789012:policy/team-?/*"] });
    const arn = (a: string) => ({ ...awsManaged, permission: { type: "managed_policy", policy_arn: a } });
    expectAllowed(p, arn("arn:aws:iam::123456789012:policy/team-a/reader"));
    expectDenied(p, arn("arn:aws:iam::123456789012:policy/team-ab/reader"), "aws.policy_arns", "team-ab");
    expectDenied(p, arn("arn:aws:iam::123456789012:policy/TEAM-a/reader"), "aws.policy_arns", "TEAM-a");
    expectDenied(p, arn("arn:aws:iam::210987654321:policy/team-a/reader"), "aws.policy_arns", "210987654321");
    expectDenied(rules({}), awsManaged, "aws.policy_arns", "ReadOnlyAccess");
  });

  test("aws.groups: globs; none listed allows none", () => {
    const p = rules({ groups: ["developers", "oncall-*"] });
    const group = (g: string) => ({ ...awsGroup, permission: { type: "group_membership", group: g } });
    expectAllowed(p, group("developers"));
    expectAllowed(p, group("oncall-db"));
    expectDenied(p, group("admins"), "aws.groups", "admins");
    expectDenied(p, group("developers2"), "aws.groups", "developers2");
    expectDenied(rules({ policy_arns: ["**"] }), awsGroup, "aws.groups", "developers");
  });

  test("aws.inline_policies: off unless true; the document is never echoed", () => {
    expectAllowed(rules({ inline_policies: true }), awsInline);
    expectDenied(rules({ inline_policies: false }), awsInline, "aws.inline_policies", "read-reports");
    const e = denial(rules({ policy_arns: ["**"], groups: ["*"] }), awsInline);
    expect(e?.rule).toBe("aws.inline_policies");
    expect(e?.message).not.toContain("s3:GetObject");
    expect(e?.message).not.toContain("arn:aws:s3");
  });

  test("aws.principals: globs over <type>/<name>; all when absent", () => {
    const p = rules({ policy_arns: ["**"], principals: ["user/*", "role/app-?"] });
    expectAllowed(p, awsManaged);
    expectAllowed(p, { ...awsManaged, principal: { type: "role", name: "app-1" } });
    expectDenied(
      p,
      { ...awsManaged, principal: { type: "role", name: "admin" } },
      "aws.principals",
      "role/admin",
    );
    expectDenied(
      p,
      { ...awsManaged, principal: { type: "group", name: "alice" } },
      "aws.principals",
      "group/alice",
    );
    expectAllowed(rules({ policy_arns: ["**"] }), {
      ...awsManaged,
      principal: { type: "role", name: "anything" },
    });
  });
});

describe("Azure rules", () => {
  const rg = `/subscriptions/${SUB}/resourceGroups/rg-dev`;
  const rules = (azure: ClientPolicy["azure"]) => policyFor({ providers: ["azure"], azure });
  const atRg = { ...azureByName, scope: rg };

  test("azure.roles: name globs, case-insensitive; none listed allows none", () => {
    const p = rules({ roles: ["Reader", "Storage Blob Data *"], scope_prefixes: ["/"] });
    const role = (name: string) => ({ ...atRg, role: { name } });
    expectAllowed(p, role("Reader"));
    expectAllowed(p, role("reader"));
    expectAllowed(p, role("storage blob data contributor"));
    expectDenied(p, role("Owner"), "azure.roles", "Owner");
    expectDenied(p, role("Reader2"), "azure.roles", "Reader2");
    expectDenied(rules({ scope_prefixes: ["/"] }), atRg, "azure.roles", "Reader");
  });

  test("azure.roles: a definition_id passes only when its GUID is listed literally", () => {
    const byId = (definition_id: string) => ({ ...azureById, role: { definition_id } });
    const listed = rules({ roles: [READER_GUID.toUpperCase()], scope_prefixes: ["/"] });
    expectAllowed(listed, byId(READER_GUID));
    expectAllowed(
      listed,
      byId(`/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${READER_GUID}`),
    );
    const fullForm = rules({
      roles: [`/providers/Microsoft.Authorization/roleDefinitions/${READER_GUID}`],
      scope_prefixes: ["/"],
    });
    expectAllowed(fullForm, byId(READER_GUID));
    // No glob stands for an unknown role definition, not even "*"; nor does a listed role name.
    const globs = rules({ roles: ["*", "Reader", "acdd72a7-*"], scope_prefixes: ["/"] });
    expectDenied(globs, byId(READER_GUID), "azure.roles", READER_GUID);
    // And a GUID entry does not allow a role *named* like that GUID.
    expectDenied(listed, { ...atRg, role: { name: READER_GUID } }, "azure.roles", READER_GUID);

    // Only a whole GUID is one: text around it makes the entry a name glob like any other.
    for (const name of [`x${READER_GUID}`, `${READER_GUID}x`]) {
      expectAllowed(rules({ roles: [name], scope_prefixes: ["/"] }), { ...atRg, role: { name } });
    }
  });

  test("azure.scope_prefixes: whole segments, case-insensitive; none listed allows none", () => {
    const p = rules({ roles: ["*"], scope_prefixes: [rg] });
    const at = (scope: string) => ({ ...azureByName, scope });
    expectAllowed(p, at(rg));
    expectAllowed(p, at(`/SUBSCRIPTIONS/${SUB.toUpperCase()}/resourcegroups/RG-DEV`));
    expectAllowed(p, at(`${rg}/providers/Microsoft.Storage/storageAccounts/acct1`));
    expectDenied(p, at(`${rg}2`), "azure.scope_prefixes", "rg-dev2");
    expectDenied(p, at(`/subscriptions/${SUB}`), "azure.scope_prefixes", SUB);
    expectDenied(
      p,
      at("/providers/Microsoft.Management/managementGroups/root"),
      "azure.scope_prefixes",
      "root",
    );
    expectDenied(rules({ roles: ["*"] }), atRg, "azure.scope_prefixes", "rg-dev");
  });
});

describe("rule: max_duration", () => {
  const p = policyFor({
    providers: ["azure"],
    max_duration: "PT1H",
    azure: { roles: ["*"], scope_prefixes: ["/"] },
  });

  test("an expiry exactly at the maximum is allowed, one second more is not", () => {
    expectAllowed(p, { ...azureByName, duration: "PT1H" });
    expectAllowed(p, { ...azureByName, duration: "PT5S" });
    expectDenied(p, { ...azureByName, duration: "PT1H1S" }, "max_duration", "PT1H");
  });

  test("absent means only the schema's maximum applies", () => {
    const open = policyFor({ providers: ["azure"], azure: { roles: ["*"], scope_prefixes: ["/"] } });
    expectAllowed(open, { ...azureByName, duration: "P7D" });
  });
});

describe("order of rules", () => {
  test("the first failing rule is reported, in a fixed order", () => {
    // Provider refused before its permission would be looked at.
    expectDenied(readOnly, { ...azureByName, duration: "P7D" }, "providers", "azure");
    // The permission before the duration.
    expectDenied(
      readOnly,
      { ...awsManaged, permission: admin, duration: "P7D" },
      "aws.policy_arns",
      "Administrator",
    );
  });
});

/** The PolicyDeniedError `f` throws, or undefined. */
function thrown(f: () => void): PolicyDeniedError | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    if (e instanceof PolicyDeniedError) return e;
    throw e;
  }
}

describe("early revoke, extend and callback URL checks", () => {
  const grant = req(awsManaged).payload;
  const grantOnly = policyFor({ providers: ["aws"], actions: ["grant"], aws: { policy_arns: ["**"] } });
  const eightHours = policyFor({ providers: ["aws"], max_duration: "PT8H", aws: { policy_arns: ["**"] } });

  test("an early revoke needs the revoke action and the permission rules, not max_duration", () => {
    expect(thrown(() => checkRevokePolicy(grantOnly, "ticketing", grant, NOW))?.rule).toBe("actions");
    const oneMinute = policyFor({ providers: ["aws"], max_duration: "PT1M", aws: { policy_arns: ["**"] } });
    expect(thrown(() => checkRevokePolicy(oneMinute, "ticketing", grant, NOW))).toBeUndefined();
    const noArns = policyFor({ providers: ["aws"], aws: { policy_arns: ["arn:aws:iam::aws:policy/Other"] } });
    expect(thrown(() => checkRevokePolicy(noArns, "ticketing", grant, NOW))?.rule).toBe("aws.policy_arns");
  });

  test("an extension is a grant whose max_duration counts from the grant's start", () => {
    const start = NOW;
    const within = new Date(start.getTime() + 8 * 3600_000);
    const beyond = new Date(start.getTime() + 8 * 3600_000 + 1000);
    expect(thrown(() => checkExtendPolicy(eightHours, "ticketing", grant, within, start))).toBeUndefined();
    expect(thrown(() => checkExtendPolicy(eightHours, "ticketing", grant, beyond, start))?.rule).toBe(
      "max_duration",
    );
    const revokeOnly = policyFor({ providers: ["aws"], actions: ["revoke"], aws: { policy_arns: ["**"] } });
    expect(thrown(() => checkExtendPolicy(revokeOnly, "ticketing", grant, within, start))?.rule).toBe(
      "actions",
    );
  });

  test("a callback URL must be one of the client's webhook endpoints", () => {
    const withHook = policyFor({
      providers: ["aws"],
      webhooks: {
        endpoints: [{ url: "https://hooks.example/in" }],
        events: ["request.succeeded"],
        secrets: [{ env: "S" }],
      },
    });
    expect(thrown(() => checkCallbackUrl(withHook, "ticketing", undefined))).toBeUndefined();
    expect(thrown(() => checkCallbackUrl(withHook, "ticketing", "https://hooks.example/in"))).toBeUndefined();
    const e = thrown(() => checkCallbackUrl(withHook, "ticketing", "https://evil.example/x"));
    expect(e?.rule).toBe("webhooks.endpoints");
    expect(e?.message).toBe(
      'client "ticketing" has no webhook endpoint https://evil.example/x (rule webhooks.endpoints)',
    );
  });
});
