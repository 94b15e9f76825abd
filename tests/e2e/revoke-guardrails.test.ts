import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parsePolicyText } from "../../lib/policy/load.ts";
import { REVOCATION_SCHEDULE_KEY } from "../../lib/queue/keys.ts";
import { auth, type TestClient } from "../helpers/api.ts";
import { AZURE_RG, AZURE_USER, type Stack, settled, startStack } from "../helpers/stack.ts";

// Issue 8: revoke goes through the guardrails of the client asking. Before, a client allowed no
// provider at all got 202 on another client's Azure grant and the assignment was deleted.
const POLICY = `
clients:
  tester:
    providers: [aws, azure]
    azure: { roles: [Reader], scope_prefixes: ["/"] }
  awsop:
    role: operator
    providers: [aws]
    aws: { policy_arns: ["**"] }
  operator:
    role: operator
    providers: [azure]
    azure: { roles: [Reader], scope_prefixes: ["/subscriptions"] }
`;

describe("early revoke under the asking client's guardrails, through workers and cloudsim", () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ policy: parsePolicyText(POLICY, "yaml", "revoke-guardrails.yaml") });
    await s.startScheduler();
    await s.startWorker("azure");
  }, 60_000);
  afterAll(async () => {
    await s?.close();
  });

  const assignments = () =>
    s.cloud.azure.snapshot().roleAssignments.filter((a) => a.principalId.toLowerCase() === AZURE_USER);
  const revoke = (id: string, as: TestClient) =>
    Promise.resolve(
      s.api.app.request(`/api/v1/requests/${id}/revoke`, { method: "POST", headers: auth(as) }),
    );
  const truth = async (id: string) => {
    const [row] = await s.api.db.sql`SELECT status, expires_at, revocation_status FROM requests
                                     WHERE correlation_id = ${id}`;
    const [ev] = await s.api.db.sql`SELECT count(*)::int AS n FROM request_events
                                    WHERE correlation_id = ${id} AND kind = 'REVOKE_REQUESTED'`;
    const schedule = await s.api.r.redis.zrange(REVOCATION_SCHEDULE_KEY, 0, "-1", "WITHSCORES");
    return { row, revokeEvents: ev?.n, schedule };
  };

  test("an operator limited to AWS cannot revoke an Azure grant: 403, and the assignment stays", async () => {
    const id = await s.submit({
      provider: "azure",
      action: "grant",
      principal: { id: AZURE_USER, type: "User" },
      role: { name: "Reader" },
      scope: AZURE_RG,
      duration: "PT1H",
    });
    expect((await s.waitFor(id, settled)).status).toBe("SUCCESS");
    expect(assignments()).toHaveLength(1);
    const before = await truth(id);
    expect(before.row?.revocation_status).toBe("SCHEDULED");

    const refused = await revoke(id, "awsop");
    expect(refused.status).toBe(403);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    expect(((await refused.json()) as { rule: string }).rule).toBe("providers");
    // Nothing that would lead to a revocation changed: expiry, revocation state, the schedule.
    expect(await truth(id)).toEqual(before);
    expect(assignments()).toHaveLength(1);

    // The same revoke by an operator whose guardrails cover Azure goes through: the refusal above
    // was the guardrail, not a revoke path that cannot work.
    expect((await revoke(id, "operator")).status).toBe(202);
    const done = await s.waitFor(id, (v) => v.revocation_status !== "SCHEDULED", 15_000);
    expect(done.revocation_status).toBe("REVOKED");
    expect(assignments()).toHaveLength(0);
    const [event] = await s.api.db.sql`SELECT detail FROM request_events
                                       WHERE correlation_id = ${id} AND kind = 'REVOKE_REQUESTED'`;
    expect(event?.detail).toEqual({ by: "operator", role: "operator" });
  }, 60_000);
});
