import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPolicyFile } from "./load.ts";
import type { Policy } from "./schema.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "csecbridge-policy-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** Loads and expects a rejection; returns its message. */
async function failure(path: string): Promise<string> {
  const e = await loadPolicyFile(path).then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof Error)) throw new Error("expected loadPolicyFile to reject");
  return e.message;
}

const YAML_POLICY = `
# Guardrails as an operator writes them.
clients:
  ticketing:
    providers: [aws]
    max_duration: PT8H
    actions: [grant, revoke]
    aws:
      policy_arns: ["arn:aws:iam::aws:policy/ReadOnly*"]
      groups: ["developers", "oncall-*"]
      inline_policies: false
      principals: ["user/*"]
  hr:
    providers: [azure]
    azure:
      roles: ["Reader", "Storage Blob Data *"]
      scope_prefixes: ["/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg-dev"]
`;

const EXPECTED: Policy = {
  clients: {
    ticketing: {
      providers: ["aws"],
      max_duration: "PT8H",
      actions: ["grant", "revoke"],
      aws: {
        policy_arns: ["arn:aws:iam::aws:policy/ReadOnly*"],
        groups: ["developers", "oncall-*"],
        inline_policies: false,
        principals: ["user/*"],
      },
    },
    hr: {
      providers: ["azure"],
      azure: {
        roles: ["Reader", "Storage Blob Data *"],
        scope_prefixes: ["/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg-dev"],
      },
    },
  },
};

describe("loadPolicyFile", () => {
  test("loads YAML (.yaml and .yml)", async () => {
    expect(await loadPolicyFile(await file("p.yaml", YAML_POLICY))).toEqual(EXPECTED);
    expect(await loadPolicyFile(await file("p.yml", YAML_POLICY))).toEqual(EXPECTED);
  });

  test("loads JSON, to the same policy", async () => {
    expect(await loadPolicyFile(await file("p.json", JSON.stringify(EXPECTED, null, 2)))).toEqual(EXPECTED);
  });

  test("an invalid file names the file and every bad path", async () => {
    const path = await file(
      "bad.yaml",
      `clients:
  ticketing:
    providers: [aws, gcp]
    max_duration: 8 hours
    aws:
      policy_arn: ["arn:aws:iam::aws:policy/ReadOnly*"]
      groups: [42]
    azure:
      scope_prefixes: ["/subscriptions/x/../y"]
  "bad name!":
    providers: []
`,
    );
    const message = await failure(path);
    expect(message).toContain(path);
    for (const where of [
      "clients.ticketing.providers[1]",
      "clients.ticketing.max_duration",
      "clients.ticketing.aws.policy_arn: unknown key",
      "clients.ticketing.aws.groups[0]",
      "clients.ticketing.azure.scope_prefixes[0]",
      "clients.bad name!",
    ]) {
      expect(message).toContain(where);
    }
  });

  test("a syntax error names the file", async () => {
    const yamlPath = await file("broken.yaml", "clients:\n  a: [unclosed\n");
    expect(await failure(yamlPath)).toContain(yamlPath);
    const jsonPath = await file("broken.json", '{"clients": ');
    const message = await failure(jsonPath);
    expect(message).toContain(jsonPath);
    expect(message).toContain("not valid JSON");
  });

  test("duplicate keys in YAML are refused: which rule would win?", async () => {
    const path = await file(
      "dup.yaml",
      "clients:\n  a:\n    providers: [aws]\n  a:\n    providers: [azure]\n",
    );
    expect(await failure(path)).toContain(path);
  });

  test("YAML alias bombs are refused", async () => {
    const lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 10; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(", ")}]`,
      );
    expect(await failure(await file("bomb.yaml", `${lines.join("\n")}\nclients: {}\n`))).toContain(
      "bomb.yaml",
    );
  });

  test("an empty file, a missing file and an unknown extension are refused by name", async () => {
    const empty = await file("empty.yaml", "");
    expect(await failure(empty)).toContain(empty);
    const missing = join(dir, "missing.yaml");
    expect(await failure(missing)).toContain(missing);
    const toml = await file("p.toml", "clients = {}");
    expect(await failure(toml)).toContain(toml);
  });

  test("roles and rate limits, per client and as the file's default", async () => {
    const policy = await loadPolicyFile(
      await file(
        "roles.yaml",
        `rate_limit: { requests: 600, per: PT1M, burst: 100 }
clients:
  dashboard:
    role: operator
    providers: [aws]
    aws: { policy_arns: ["arn:aws:iam::aws:policy/**"] }
    rate_limit: { requests: 100, per: PT1S }
  audit:
    role: auditor
`,
      ),
    );
    expect(policy.rate_limit).toEqual({ requests: 600, per: "PT1M", burst: 100 });
    expect(policy.clients.dashboard?.role).toBe("operator");
    expect(policy.clients.dashboard?.rate_limit).toEqual({ requests: 100, per: "PT1S" });
    expect(policy.clients.audit).toEqual({ role: "auditor" });
  });

  test("a bad role or rate limit is refused by path", async () => {
    const path = await file(
      "bad-roles.yaml",
      `rate_limit: { requests: 0, per: PT1M }
clients:
  a: { role: admin }
  b: { rate_limit: { requests: 10, per: PT0.5S } }
  c: { rate_limit: { requests: 10, per: PT1M, burst: 11 } }
  d: { rate_limit: { requests: 10, per: PT1M, brust: 5 } }
  e: { rate_limit: { requests: 10, per: P2D } }
`,
    );
    const message = await failure(path);
    for (const where of [
      "rate_limit.requests",
      "clients.a.role",
      "clients.b.rate_limit.per",
      "clients.c.rate_limit.burst",
      "clients.d.rate_limit.brust: unknown key",
      "clients.e.rate_limit.per",
    ]) {
      expect(message).toContain(where);
    }
  });

  test("each refusal says exactly what is wrong, and the extension is read case-insensitively", async () => {
    const toml = await file("p.toml", "clients = {}");
    expect(await failure(toml)).toBe(
      `policy file ${toml}: unsupported extension ".toml" (use .json, .yaml or .yml)`,
    );
    const missing = join(dir, "missing.json");
    const e = await loadPolicyFile(missing).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toBe(`policy file ${missing}: cannot be read`);
    expect(((e as Error).cause as NodeJS.ErrnoException).code).toBe("ENOENT");
    const yaml = await file("broken2.yml", "clients: [\n");
    expect(await failure(yaml)).toStartWith(`policy file ${yaml}: not valid YAML: `);
    const json = await file("broken2.json", "{");
    expect(await failure(json)).toStartWith(`policy file ${json}: not valid JSON: `);
    // YAML that is not JSON, in a .json file: refused as JSON.
    const yamlish = await file("yamlish.json", "clients: {}\n");
    expect(await failure(yamlish)).toStartWith(`policy file ${yamlish}: not valid JSON: `);
    // JSON.parse keeps the last of two equal keys; a policy file refuses them.
    const dup = await file("dup.json", '{"clients": {"a": {"role": "auditor"}, "a": {"role": "operator"}}}');
    expect(await failure(dup)).toStartWith(`policy file ${dup}: not valid JSON: `);
    const cause = await loadPolicyFile(dup).catch((err: unknown) => (err as Error).cause);
    expect(cause).toBeInstanceOf(Error);
    const bad = await file("bad2.json", '{"clients": {"a": {"role": "admin"}}}');
    expect(await failure(bad)).toBe(
      `policy file ${bad} is invalid: clients.a.role: Invalid option: expected one of "submitter"|"operator"|"auditor"`,
    );
    for (const name of ["UPPER.YAML", "mixed.Yml", "upper.JSON"]) {
      const text = name.endsWith("JSON") ? '{"clients": {"a": {}}}' : "clients:\n  a: {}\n";
      expect(await loadPolicyFile(await file(name, text))).toEqual({ clients: { a: {} } });
    }
  });

  test("a client with no providers is valid: it may do nothing", async () => {
    const policy = await loadPolicyFile(await file("none.json", '{"clients": {"idle": {"providers": []}}}'));
    expect(policy.clients.idle?.providers).toEqual([]);
  });
});
