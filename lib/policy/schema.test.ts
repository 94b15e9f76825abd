import { describe, expect, test } from "bun:test";
import { parsePolicyText } from "./load.ts";

// The guardrail file's schema, rule by rule: each value an operator may write is accepted, each
// near miss is refused with the exact path and reason the API prints when it refuses to start.
// Edge values sit on both sides of every pattern (first and last character, length, anchors).

const PREFIX = "policy file p.json is invalid: ";

/** The issues (`path: reason`) the loader reports for `policy`, or [] when it loads. */
function issues(policy: unknown): string[] {
  try {
    parsePolicyText(JSON.stringify(policy), "json", "p.json");
    return [];
  } catch (err) {
    const message = (err as Error).message;
    expect(message.startsWith(PREFIX)).toBe(true);
    return message.slice(PREFIX.length).split("; ");
  }
}

const client = (rules: Record<string, unknown>) => ({ clients: { x: rules } });
const aws = (rules: Record<string, unknown>) => client({ aws: rules });
const azure = (rules: Record<string, unknown>) => client({ azure: rules });

describe("client names", () => {
  test.each(["a", "A", "9", "ticketing", "a-b.c_D9", "a".repeat(64), "a-", "a."])(
    "%p is accepted",
    (name) => {
      expect(issues({ clients: { [name]: {} } })).toEqual([]);
    },
  );
  test.each(["-a", ".a", "_a", "a!", "!a", "a b", "", "a".repeat(65), "ä", "a/b"])(
    "%p is refused",
    (name) => {
      expect(issues({ clients: { [name]: {} } })).toEqual([
        `clients.${name}: must be a client name of API_TOKENS`,
      ]);
    },
  );
});

describe("AWS globs (no spaces anywhere)", () => {
  test.each(["arn:aws:iam::aws:policy/ReadOnly*", "!", "~", "a", "user/**", "a?b"])("%p is accepted", (g) => {
    expect(issues(aws({ policy_arns: [g], groups: [g], principals: [g] }))).toEqual([]);
  });
  test.each(["a b", " a", "a ", "a\tb", "a\u007f", "é", "a\n"])(
    "%p is refused for each list, by its name",
    (g) => {
      expect(issues(aws({ policy_arns: [g], groups: [g], principals: [g] }))).toEqual([
        "clients.x.aws.policy_arns[0]: must be a policy ARN glob",
        "clients.x.aws.groups[0]: must be a group name glob",
        'clients.x.aws.principals[0]: must be a "<type>/<name>" glob',
      ]);
    },
  );
  test("an empty pattern is refused (too short, and not a glob)", () => {
    expect(issues(aws({ groups: ["ok", ""] }))).toEqual([
      "clients.x.aws.groups[1]: Too small: expected string to have >=1 characters",
      "clients.x.aws.groups[1]: must be a group name glob",
    ]);
  });
  test("inline_policies is a boolean", () => {
    expect(issues(aws({ inline_policies: true }))).toEqual([]);
    expect(issues(aws({ inline_policies: "yes" }))).toEqual([
      "clients.x.aws.inline_policies: Invalid input: expected boolean, received string",
    ]);
  });
});

describe("Azure role globs (inner spaces allowed, none at the ends)", () => {
  test.each(["Reader", "R", "Storage Blob Data *", "a  b", "0b1f6471-1bf0-4dda-aec3-cb9272f09590", "!~"])(
    "%p is accepted",
    (role) => {
      expect(issues(azure({ roles: [role] }))).toEqual([]);
    },
  );
  test.each([" Reader", "Reader ", " ", "Rea\tder", "Reader\u007f", "\u00a0Reader"])(
    "%p is refused",
    (role) => {
      expect(issues(azure({ roles: [role] }))).toEqual([
        "clients.x.azure.roles[0]: must be a role name glob or role definition GUID",
      ]);
    },
  );
});

describe("Azure scope prefixes (literal ARM paths)", () => {
  test.each([
    "/",
    "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg-dev",
    "/subscriptions/x/",
    "/a(b)~c._-Z9",
    "/a/..b",
    "/a/b.",
  ])("%p is accepted", (prefix) => {
    expect(issues(azure({ scope_prefixes: [prefix] }))).toEqual([]);
  });
  test.each(["subscriptions/x", "/a//b", "/a/*", "/a/b?", "/a b", "//", "/a/b\n", "x/a", "/a%2Fb"])(
    "%p is not an ARM path",
    (prefix) => {
      expect(issues(azure({ scope_prefixes: [prefix] }))).toEqual([
        "clients.x.azure.scope_prefixes[0]: must be an ARM path such as /subscriptions/<id>/resourceGroups/<name>",
      ]);
    },
  );
  test.each(["/a/./b", "/a/..", "/..", "/a/../b/"])("%p has a dot segment", (prefix) => {
    expect(issues(azure({ scope_prefixes: [prefix] }))).toEqual([
      "clients.x.azure.scope_prefixes[0]: must not contain . or .. segments",
    ]);
  });
});

describe("providers and actions", () => {
  test.each([[["grant"]], [["revoke"]], [["grant", "revoke"]], [[]]])(
    "actions %p are accepted",
    (actions) => {
      expect(issues(client({ actions }))).toEqual([]);
    },
  );
  test("an unknown action, or more than two, is refused", () => {
    expect(issues(client({ actions: ["delete"] }))).toEqual([
      'clients.x.actions[0]: Invalid option: expected one of "grant"|"revoke"',
    ]);
    expect(issues(client({ actions: ["grant", "revoke", "grant"] }))).toEqual([
      "clients.x.actions: Too big: expected array to have <=2 items",
    ]);
  });
});

describe("durations and rate limits", () => {
  test.each(["PT8H", "PT1S", "P1D", "PT0.5S"])("max_duration %p is accepted", (d) => {
    expect(issues(client({ max_duration: d }))).toEqual([]);
  });
  test.each(["PT0S", "8 hours", "", "P", "-PT1H"])("max_duration %p is refused", (d) => {
    expect(issues(client({ max_duration: d }))).toEqual([
      "clients.x.max_duration: must be a positive ISO 8601 duration such as PT8H",
    ]);
  });

  test.each(["PT1S", "PT1M", "P1D", "PT86400S", "PT2S"])("rate_limit.per %p is accepted", (per) => {
    expect(issues(client({ rate_limit: { requests: 5, per } }))).toEqual([]);
  });
  test.each(["PT0.5S", "PT1.5S", "PT0S", "P2D", "PT86401S", "1m"])("rate_limit.per %p is refused", (per) => {
    expect(issues(client({ rate_limit: { requests: 5, per } }))).toEqual([
      "clients.x.rate_limit.per: must be an ISO 8601 duration of whole seconds, from PT1S to P1D",
    ]);
  });
  test("burst may equal requests, not exceed them; the file's default is checked the same way", () => {
    expect(issues(client({ rate_limit: { requests: 5, per: "PT1M", burst: 5 } }))).toEqual([]);
    expect(issues(client({ rate_limit: { requests: 5, per: "PT1M", burst: 6 } }))).toEqual([
      "clients.x.rate_limit.burst: must not be more than requests",
    ]);
    expect(issues({ rate_limit: { requests: 5, per: "PT1M", burst: 6 }, clients: {} })).toEqual([
      "rate_limit.burst: must not be more than requests",
    ]);
  });
});

describe("webhooks", () => {
  const hooks = (w: Record<string, unknown>) =>
    client({
      webhooks: {
        endpoints: [{ url: "https://a.example/h" }],
        events: ["grant.revoked"],
        secrets: [{ env: "S" }],
        ...w,
      },
    });

  test("a minimal block loads; grant.expiring with a lead time loads", () => {
    expect(issues(hooks({}))).toEqual([]);
    expect(issues(hooks({ events: ["grant.expiring"], expiring_lead_time: "PT15M" }))).toEqual([]);
  });
  test("grant.expiring needs a lead time, asked for by the client or by one endpoint", () => {
    const missing = [
      "clients.x.webhooks.expiring_lead_time: required when grant.expiring is one of the events",
    ];
    expect(issues(hooks({ events: ["grant.expiring"] }))).toEqual(missing);
    expect(
      issues(
        hooks({ endpoints: [{ url: "https://a.example/", events: ["grant.revoked", "grant.expiring"] }] }),
      ),
    ).toEqual(missing);
  });
  test("events may not repeat, at the client or at an endpoint", () => {
    expect(issues(hooks({ events: ["grant.revoked", "grant.revoked"] }))).toEqual([
      "clients.x.webhooks.events: must not repeat an event",
    ]);
    expect(
      issues(
        hooks({ endpoints: [{ url: "https://a.example/", events: ["request.failed", "request.failed"] }] }),
      ),
    ).toEqual(["clients.x.webhooks.endpoints[0].events: must not repeat an event"]);
  });
  test.each([
    ["ftp://a.example/", "must be an http:// or https:// URL"],
    ["javascript:alert(1)", "must be an http:// or https:// URL"],
    ["xhttp://a.example/", "must be an http:// or https:// URL"],
    ["httpsx://a.example/", "must be an http:// or https:// URL"],
    ["https://u@a.example/", "must not carry credentials or a fragment"],
    ["https://:p@a.example/", "must not carry credentials or a fragment"],
    ["https://a.example/#f", "must not carry credentials or a fragment"],
  ])("endpoint %p is refused", (url, why) => {
    expect(issues(hooks({ endpoints: [{ url }] }))).toEqual([`clients.x.webhooks.endpoints[0].url: ${why}`]);
  });
  test("http and https endpoints load; one URL spelt twice is refused", () => {
    expect(
      issues(hooks({ endpoints: [{ url: "http://a.example/" }, { url: "https://a.example/" }] })),
    ).toEqual([]);
    expect(
      issues(hooks({ endpoints: [{ url: "https://a.example" }, { url: "https://A.EXAMPLE/" }] })),
    ).toEqual(["clients.x.webhooks.endpoints: must not list a URL twice"]);
  });
  test.each(["S", "_", "A_1", "TICKETING_WEBHOOK_SECRET", `A${"B".repeat(127)}`])(
    "secret env %p is accepted",
    (env) => {
      expect(issues(hooks({ secrets: [{ env }] }))).toEqual([]);
    },
  );
  test.each(["s", "1A", "A-B", "", `A${"B".repeat(128)}`, "A B", "whsec_abc"])(
    "secret env %p is refused",
    (env) => {
      expect(issues(hooks({ secrets: [{ env }] }))).toEqual([
        "clients.x.webhooks.secrets[0].env: must be an environment variable name",
      ]);
    },
  );
});

describe("how issues are reported", () => {
  test("unknown keys, each named; an array index in brackets; the top level by name", () => {
    expect(
      issues({ clients: { x: { aws: { groups: ["ok", "a b"], grops: [], inline: 1 } } }, extra: 1 }),
    ).toEqual([
      "clients.x.aws.groups[1]: must be a group name glob",
      "clients.x.aws.grops: unknown key",
      "clients.x.aws.inline: unknown key",
      "extra: unknown key",
    ]);
    expect(issues([])).toEqual(["(top level): Invalid input: expected object, received array"]);
    expect(issues({})).toEqual(["clients: Invalid input: expected record, received undefined"]);
  });
});
