import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Service } from "../helpers/spawn-service.ts";
import { waitUntil } from "../helpers/spawn-service.ts";
import { AZURE_RG, AZURE_USER, type Stack, settled, startStack } from "../helpers/stack.ts";

// Issue 12, "scale safely": four worker processes against one AWS account that the cloud meters
// at 50 calls/s. With the shared call budget (lib/providers/budget) below that rate, every grant
// succeeds and the cloud never throttles; without it the same four workers are throttled.
const CLOUD_RATE = 50;
const BUDGET_RATE = 40;
const WORKERS = 4;
/** Two IAM calls a grant (the look, the attach): ~300 grants take ~15 s at the budget's rate. */
const GRANTS = 300;
const ARN = "arn:aws:iam::aws:policy/ReadOnlyAccess";

interface SimState {
  throttles: { aws: { throttled: number; rateLimited: number }; azure: { throttled: number } };
}

describe("four workers share one account's budget: no throttling", () => {
  let s: Stack;
  let round = 0;
  beforeAll(async () => {
    s = await startStack();
    await s.startScheduler();
  }, 60_000);
  afterAll(async () => {
    await s?.close();
  });

  const simState = async (): Promise<SimState> =>
    (await (await fetch(`${s.cloud.awsUrl}/_sim/state`)).json()) as SimState;

  /** N grants, each to its own user, queued before any worker runs: a backlog to drain at once. */
  async function submitBacklog(n: number): Promise<string[]> {
    round++;
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const name = `r${round}u${i}`;
      s.cloud.aws.seedUser(name);
      ids.push(
        await s.submit({
          provider: "aws",
          action: "grant",
          principal: { type: "user", name },
          permission: { type: "managed_policy", policy_arn: ARN },
          duration: "PT1H",
        }),
      );
    }
    return ids;
  }

  const statuses = async (ids: string[]) => {
    const rows = await s.api.db.sql<{ status: string; n: number }[]>`
      SELECT status, count(*)::int AS n FROM requests WHERE correlation_id IN ${s.api.db.sql(ids)}
      GROUP BY status`;
    return Object.fromEntries(rows.map((r) => [r.status, r.n])) as Record<string, number>;
  };

  async function startWorkers(env: Record<string, string>): Promise<Service[]> {
    const started = await Promise.all(
      Array.from({ length: WORKERS }, () => s.startWorker("aws", { QUEUE_CONCURRENCY: "4", ...env })),
    );
    return started;
  }

  async function stopWorkers(workers: Service[]): Promise<void> {
    await Promise.all(workers.map((w) => w.stop("SIGKILL")));
    s.workers.splice(0);
    await s.api.r.redis.del("queue:aws:workers");
  }

  test(`with the budget at ${BUDGET_RATE}/s: ${GRANTS} grants, none FAILED, the cloud throttles nothing`, async () => {
    s.cloud.aws.faults.reset();
    s.cloud.aws.faults.set({ ratePerSecond: CLOUD_RATE });
    const ids = await submitBacklog(GRANTS);
    const started = performance.now();
    const workers = await startWorkers({
      CLOUD_CALLS_PER_SECOND: String(BUDGET_RATE),
      CLOUD_CALL_BURST: "10",
    });
    try {
      await waitUntil(
        async () => (await statuses(ids)).SUCCESS === GRANTS,
        "every grant SUCCESS",
        90_000,
      ).catch(async (err: Error) => {
        const tails = workers.map((w) => w.output().split("\n").slice(-5).join("\n")).join("\n---\n");
        throw new Error(
          `${err.message}: ${JSON.stringify(await statuses(ids))} ${JSON.stringify(await simState())}\n${tails}`,
        );
      });
      const seconds = (performance.now() - started) / 1000;
      const state = await simState();
      console.log(
        `with budget: ${GRANTS} grants by ${WORKERS} workers in ${seconds.toFixed(1)} s; throttles ${JSON.stringify(state.throttles.aws)}`,
      );
      expect(await statuses(ids)).toEqual({ SUCCESS: GRANTS });
      expect(state.throttles.aws).toEqual({ throttled: 0, rateLimited: 0 });
      // Every grant is in the cloud: nothing was skipped to stay under the rate.
      const users = s.cloud.aws.snapshot().users;
      expect(ids.filter((_, i) => !users[`r${round}u${i}`]?.attachedPolicies.includes(ARN))).toEqual([]);
    } finally {
      await stopWorkers(workers);
    }
  }, 120_000);

  test("the same four workers without the budget are throttled (what the budget prevents)", async () => {
    s.cloud.aws.faults.reset();
    s.cloud.aws.faults.set({ ratePerSecond: CLOUD_RATE });
    const ids = await submitBacklog(GRANTS);
    const workers = await startWorkers({ CLOUD_CALLS_PER_SECOND: "0" });
    try {
      await waitUntil(
        async () => (await simState()).throttles.aws.rateLimited > 0,
        "the cloud throttling the workers",
        60_000,
      );
      const state = await simState();
      console.log(
        `without budget: throttles ${JSON.stringify(state.throttles.aws)} ${JSON.stringify(await statuses(ids))}`,
      );
      expect(state.throttles.aws.throttled).toBeGreaterThan(0);
    } finally {
      await stopWorkers(workers);
    }
  }, 120_000);

  test("Azure: an ARM 429 with Retry-After pauses the tenant's budget, and the other workers' calls wait it out", async () => {
    s.cloud.azure.faults.reset();
    const workers = await Promise.all([s.startWorker("azure"), s.startWorker("azure")]);
    try {
      // The budget is on by default and named after the tenant the workers sign in to.
      const pauseKey = `cloud:azure:${s.cloud.tenantId}:pause`;
      s.cloud.azure.faults.set({
        rules: [{ action: "*", mode: "throttle", count: 1, retryAfterSeconds: 3 }],
      });
      const grant = (role: string) =>
        s.submit({
          provider: "azure",
          action: "grant",
          principal: { id: AZURE_USER, type: "User" },
          role: { name: role },
          scope: AZURE_RG,
          duration: "PT1H",
        });
      const first = await grant("Reader");
      await waitUntil(async () => (await s.api.r.redis.pttl(pauseKey)) > 0, "the pause recorded", 15_000);
      const pauseLeft = await s.api.r.redis.pttl(pauseKey);
      expect(pauseLeft).toBeLessThanOrEqual(3002);
      // Whichever worker takes it, the next grant reaches ARM only after the pause.
      const submitted = Date.now();
      const second = await grant("Contributor");
      const v = await s.waitFor(second, settled, 20_000);
      expect(v.status).toBe("SUCCESS");
      expect(Date.parse(String(v.completed_at)) - submitted).toBeGreaterThanOrEqual(pauseLeft - 250);
      expect((await s.waitFor(first, settled, 20_000)).status).toBe("SUCCESS");
      // One 429, and only one: nobody called into the pause.
      expect((await simState()).throttles.azure.throttled).toBe(1);
    } finally {
      await Promise.all(workers.map((w) => w.stop("SIGKILL")));
      s.workers.splice(0);
      await s.api.r.redis.del("queue:azure:workers");
    }
  }, 60_000);
});
