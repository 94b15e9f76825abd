import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { Service } from "../helpers/spawn-service.ts";
import { waitUntil } from "../helpers/spawn-service.ts";
import { type Stack, startStack } from "../helpers/stack.ts";

// Guarantee 7 with real worker and scheduler processes: access is never left behind, whatever
// happens to the grant's worker. Each case failed before the revocation-obligation model.
describe("the revocation obligation, end to end", () => {
  let s: Stack;
  let worker: Service;
  const workerEnv = {
    WORKER_LEASE_MS: "3000",
    WORKER_MAX_HANDLINGS: "3",
    REVOCATION_BACKOFF_BASE_MS: "200",
    REVOCATION_BACKOFF_MAX_MS: "1000",
  };
  beforeAll(async () => {
    s = await startStack();
    await s.startScheduler({ QUEUE_MAX_RECOVERIES: "1", RECONCILE_OVERDUE_AFTER_MS: "1000" });
    worker = await s.startWorker("aws", workerEnv);
  }, 60_000);
  afterAll(async () => {
    await s?.close();
  });
  beforeEach(() => {
    s.cloud.aws.faults.reset();
  });

  const attached = (user: string) => s.cloud.aws.snapshot().users[user]?.attachedPolicies ?? [];
  const calls = (action: string) => s.cloud.aws.snapshot().requests[action] ?? 0;
  const grant = (user: string, arn: string, duration: string) => ({
    provider: "aws",
    action: "grant",
    principal: { type: "user", name: user },
    permission: { type: "managed_policy", policy_arn: arn },
    duration,
  });
  const row = async (id: string) => {
    const [r] = await s.api.db.sql<
      Record<string, unknown>[]
    >`SELECT * FROM requests WHERE correlation_id = ${id}`;
    return r ?? {};
  };
  /** The obligation is closed and the row final: nothing can act on this grant any more. */
  const ended = (r: Record<string, unknown>) =>
    (r.status === "SUCCESS" || r.status === "FAILED") && r.revocation_status !== "SCHEDULED";
  async function restartWorker(): Promise<void> {
    worker.proc.kill("SIGKILL");
    await worker.proc.exited;
    worker = await s.startWorker("aws", workerEnv);
  }

  test("kill -9 while the attach is in flight on a short grant: the access is revoked", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
    s.cloud.aws.faults.set({
      rules: [{ action: "AttachUserPolicy", mode: "drop_reply", count: 1, match: { UserName: "alice" } }],
    });
    const before = calls("AttachUserPolicy");
    const id = await s.submit(grant("alice", arn, "PT3S"));
    await waitUntil(async () => calls("AttachUserPolicy") > before, "the attach to reach the cloud");
    await restartWorker(); // killed between the cloud call and the database write
    expect(attached("alice")).toContain(arn);
    await waitUntil(async () => ended(await row(id)), "the grant to end", 30_000);
    expect(attached("alice")).not.toContain(arn);
    expect((await row(id)).revocation_status).toBe("REVOKED");
  }, 60_000);

  test("a job that crashes its worker every time ends FAILED after the handling cap, its access revoked", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess";
    // Every attach for bob is applied and never answered; each time, the worker is killed.
    s.cloud.aws.faults.set({
      rules: [{ action: "AttachUserPolicy", mode: "drop_reply", match: { UserName: "bob" } }],
    });
    const id = await s.submit(grant("bob", arn, "PT10M"));
    let kills = 0;
    const until = Date.now() + 90_000;
    while (Date.now() < until && (await row(id)).status !== "FAILED") {
      const seen = calls("AttachUserPolicy");
      const grew = await waitUntil(
        async () => calls("AttachUserPolicy") > seen || (await row(id)).status === "FAILED",
        "a handling",
        30_000,
      )
        .then(() => true)
        .catch(() => false);
      if (!grew || (await row(id)).status === "FAILED") break;
      await restartWorker();
      kills++;
    }
    s.cloud.aws.faults.reset();
    const failed = await row(id);
    expect(failed.status).toBe("FAILED");
    expect((failed.error_details as { code: string }).code).toBe("attempts_exhausted");
    expect(kills).toBeGreaterThanOrEqual(1);
    await waitUntil(async () => ended(await row(id)), "the compensating revoke", 30_000);
    expect((await row(id)).revocation_status).toBe("REVOKED");
    expect(attached("bob")).not.toContain(arn);
  }, 150_000);

  test("a throttling storm on the revocation: one retry chain, never FAILED, never doubled by the reconciler", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonRDSReadOnlyAccess";
    const id = await s.submit(grant("carol", arn, "PT2S"));
    await waitUntil(async () => (await row(id)).status === "SUCCESS", "the grant");
    const before = calls("DetachUserPolicy");
    s.cloud.aws.faults.set({
      rules: [{ action: "DetachUserPolicy", mode: "throttle", forMs: 8000, retryAfterSeconds: 1 }],
    });
    await waitUntil(async () => ended(await row(id)), "the revocation", 40_000);
    const r = await row(id);
    expect(r.revocation_status).toBe("REVOKED");
    expect(attached("carol")).not.toContain(arn);
    // One chain honouring Retry-After 1 s makes about one call a second (the SDK tries twice per
    // call): an 8 s storm costs a few dozen calls at most, not one chain per reconciler pass.
    const detaches = calls("DetachUserPolicy") - before;
    expect(detaches).toBeLessThanOrEqual(2 * 10 + 2);
    const [{ chains, retries }] = (await s.api.db.sql`
      SELECT count(DISTINCT detail ->> 'chain')::int AS chains, count(*)::int AS retries FROM request_events
      WHERE correlation_id = ${id} AND kind = 'REVOCATION_RETRY'`) as unknown as [
      { chains: number; retries: number },
    ];
    expect(retries).toBeGreaterThanOrEqual(3);
    expect(chains).toBe(1);
  }, 60_000);
});
