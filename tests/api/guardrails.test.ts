import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parsePolicyText } from "../../lib/policy/load.ts";
import { auth, createTestApi, samples, type TestApi, writtenState } from "../helpers/api.ts";

// Guarantee 6: a caller can only do what its token allows, refused with 403 before any write.
const POLICY = `
clients:
  limited:
    providers: [aws]
    max_duration: PT4H
    aws:
      policy_arns: ["arn:aws:iam::aws:policy/ReadOnly*"]
  tester:
    providers: [aws, azure]
    aws:
      policy_arns: ["arn:aws:iam::aws:policy/*"]
    azure:
      roles: [Reader]
      scope_prefixes: ["/subscriptions/6f1d2b7a-0c1e-4a7b-9d3e-5c2a1b0f9e8d/resourceGroups/rg-dev"]
`;

describe("per-client guardrails through the API", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi({ policy: parsePolicyText(POLICY, "yaml", "test-policy.yaml") });
  });
  afterAll(async () => {
    await api.close();
  });

  async function refused(body: unknown, client: "limited" | "tester" | "other", rule: string) {
    const before = await writtenState(api);
    const res = await api.post(body, auth(client));
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const problem = (await res.json()) as { rule: string; detail: string };
    expect(problem.rule).toBe(rule);
    expect(await writtenState(api)).toEqual(before);
  }

  test("a client limited to aws is refused azure", async () => {
    await refused(samples.azureReader(), "limited", "providers");
  });

  test("a client limited to ReadOnly* is refused AdministratorAccess", async () => {
    const body = {
      ...samples.awsManaged(),
      permission: { type: "managed_policy", policy_arn: "arn:aws:iam::aws:policy/AdministratorAccess" },
    };
    await refused(body, "limited", "aws.policy_arns");
  });

  test("a duration above the client's maximum is refused", async () => {
    await refused({ ...samples.awsManaged(), duration: "PT5H" }, "limited", "max_duration");
  });

  test("inline policies are refused unless allowed", async () => {
    const body = {
      ...samples.awsManaged(),
      permission: {
        type: "inline_policy",
        policy_name: "p",
        document: {
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }],
        },
      },
    };
    await refused(body, "limited", "aws.inline_policies");
  });

  test("a client absent from the policy file may do nothing", async () => {
    await refused(samples.awsManaged(), "other", "clients");
  });

  test("azure role and scope prefixes are enforced on whole segments", async () => {
    await refused({ ...samples.azureReader(), role: { name: "Owner" } }, "tester", "azure.roles");
    await refused(
      {
        ...samples.azureReader(),
        scope: "/subscriptions/6f1d2b7a-0c1e-4a7b-9d3e-5c2a1b0f9e8d/resourceGroups/rg-dev2",
      },
      "tester",
      "azure.scope_prefixes",
    );
  });

  test("what the policy allows is accepted", async () => {
    expect((await api.post({ ...samples.awsManaged(), duration: "PT4H" }, auth("limited"))).status).toBe(202);
    expect((await api.post(samples.azureReader(), auth("tester"))).status).toBe(202);
    const resource = `/subscriptions/6f1d2b7a-0c1e-4a7b-9d3e-5c2a1b0f9e8d/resourceGroups/RG-DEV/providers/Microsoft.Storage/storageAccounts/acct1`;
    expect((await api.post({ ...samples.azureReader(), scope: resource }, auth("tester"))).status).toBe(202);
  });
});
