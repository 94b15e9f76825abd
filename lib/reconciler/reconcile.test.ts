import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { captureLog } from "../../tests/fixtures/queue-support.ts";
import { createTestApi, samples, type TestApi } from "../../tests/helpers/api.ts";
import { createDbClock } from "../db/db-clock.ts";
import { createLogger } from "../logging/logger.ts";
import type { Job } from "../queue/job.ts";
import { queueKeys, REVOCATION_SCHEDULE_KEY } from "../queue/keys.ts";
import { runTasks } from "../scheduler/run-scheduler.ts";
import { type ReconcileDeps, rebuildAll, reconcile } from "./reconcile.ts";
import { reconcileTask } from "./reconcile-task.ts";
import { EPOCH_KEY } from "./redis-epoch.ts";

// The reconciler against real PostgreSQL and Redis: what it queues again, and what it never
// doubles. Rows are put in the states the worker leaves them in, through SQL.
let api: TestApi;
const log = createLogger({ service: "test-reconciler", level: "silent" });
const deps = (): ReconcileDeps => ({
  sql: api.db.sql,
  redis: api.r.redis,
  log,
  staleAfterMs: 1000,
  overdueAfterMs: 1000,
  queueLeaseMs: 60_000,
  batch: 50,
});

beforeAll(async () => {
  api = await createTestApi();
});
afterAll(async () => {
  await api.close();
});
beforeEach(async () => {
  await api.db.sql`DELETE FROM requests`;
  await api.r.redis.del("queue:aws", "queue:azure", REVOCATION_SCHEDULE_KEY, EPOCH_KEY);
});

async function submitted(): Promise<string> {
  const res = await api.post(samples.awsManaged());
  const { correlation_id } = (await res.json()) as { correlation_id: string };
  await api.r.redis.del("queue:aws"); // the API's job is "lost"
  return correlation_id;
}
const queued = async (): Promise<Job[]> =>
  (await api.r.redis.lrange(queueKeys("aws").queue, 0, -1)).map((j) => JSON.parse(j) as Job);
const age = (id: string, ms: number) =>
  api.db
    .sql`UPDATE requests SET updated_at = now() - ${ms} * interval '1 millisecond' WHERE correlation_id = ${id}`;

/** A grant in the state a worker leaves it after SUCCESS, with its end `endMs` from now. */
async function applied(endMs: number, lease?: { job: string; ms: number }): Promise<string> {
  const id = await submitted();
  await api.db.sql`
    UPDATE requests SET status = 'SUCCESS', pre_existing = false, revocation_status = 'SCHEDULED',
           revoke_at = now() + ${endMs} * interval '1 millisecond',
           lease_job = ${lease?.job ?? null},
           lease_until = CASE WHEN ${lease?.ms ?? null}::float8 IS NULL THEN NULL
                              ELSE now() + ${lease?.ms ?? 0} * interval '1 millisecond' END
    WHERE correlation_id = ${id}`;
  return id;
}

describe("periodic pass", () => {
  test("a request whose job was lost is queued again once stale, under a new chain's lease", async () => {
    const id = await submitted();
    expect((await reconcile(deps())).requeued).toBe(0); // fresh: its job may still be in a queue
    await age(id, 1500);
    expect(await reconcile(deps())).toEqual({ requeued: 1, revocations: 0 });
    const [job] = await queued();
    const [row] = await api.db.sql<{ lease_job: string; requeues: number }[]>`
      SELECT lease_job, requeues FROM requests WHERE correlation_id = ${id}`;
    expect(job).toMatchObject({ correlation_id: id, kind: "grant", id: row?.lease_job });
    expect(row?.requeues).toBe(1);
    // Not again while that job holds the row, however stale it looks.
    await age(id, 10_000);
    expect((await reconcile(deps())).requeued).toBe(0);
  });

  test("re-queues of one request are spaced out exponentially", async () => {
    const id = await submitted();
    await api.db.sql`UPDATE requests SET requeues = 3 WHERE correlation_id = ${id}`;
    await age(id, 7000); // < 1000 × 2^3
    expect((await reconcile(deps())).requeued).toBe(0);
    await age(id, 8500);
    expect((await reconcile(deps())).requeued).toBe(1);
  });

  test("a revocation in flight (its chain holds the lease) is never added again, however overdue", async () => {
    const id = await applied(-60_000, { job: "revoke-chain", ms: 30_000 });
    expect((await reconcile(deps())).revocations).toBe(0);
    expect(await queued()).toEqual([]);
    // The chain died (its lease lapsed): now a new job, due at once, straight into the queue.
    await api.db
      .sql`UPDATE requests SET lease_until = now() - interval '1 second' WHERE correlation_id = ${id}`;
    expect((await reconcile(deps())).revocations).toBe(1);
    const [job] = await queued();
    expect(job).toMatchObject({ correlation_id: id, kind: "revoke" });
    expect(job?.id).not.toBe("revoke-chain");
    // Once queued, it holds the row: the next pass adds nothing.
    expect((await reconcile(deps())).revocations).toBe(0);
  });

  test("a revocation not yet overdue is left to the schedule", async () => {
    await applied(-200);
    await applied(60_000);
    expect((await reconcile(deps())).revocations).toBe(0);
  });

  test("two reconcilers at once never queue the same row twice", async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, () => submitted()));
    for (const id of ids) await age(id, 5000);
    const [a, b] = await Promise.all([reconcile(deps()), reconcile(deps())]);
    expect(a.requeued + b.requeued).toBe(20);
    expect(new Set((await queued()).map((j) => j.correlation_id)).size).toBe(20);
  });
});

describe("batches", () => {
  test("one pass takes every batch, not just the first: requests and overdue revocations", async () => {
    const stale = await Promise.all(Array.from({ length: 7 }, () => submitted()));
    for (const id of stale) await age(id, 5000);
    const overdue: string[] = [];
    for (let i = 0; i < 7; i++) overdue.push(await applied(-60_000));
    await api.r.redis.del("queue:aws");
    const captured = captureLog();
    const result = await reconcile({ ...deps(), log: captured.log, batch: 3 });
    expect(result).toEqual({ requeued: 7, revocations: 7 });
    // Operators follow each re-queue in the logs: one line per row, naming it.
    const lines = captured.lines();
    const named = (msg: string) =>
      lines
        .filter((l) => l.msg === msg)
        .map((l) => [l.correlation_id, l.provider])
        .sort();
    expect(named("re-queued a stale request")).toEqual(stale.map((id) => [id, "aws"]).sort());
    expect(named("re-queued an overdue revocation")).toEqual(overdue.map((id) => [id, "aws"]).sort());
    expect(lines.find((l) => l.msg === "re-queued a stale request")?.status).toBe("PENDING");
    const jobs = await queued();
    expect(
      jobs
        .filter((j) => j.kind === "grant")
        .map((j) => j.correlation_id)
        .sort(),
    ).toEqual(stale.sort());
    expect(
      jobs
        .filter((j) => j.kind === "revoke")
        .map((j) => j.correlation_id)
        .sort(),
    ).toEqual(overdue.sort());
    // Each job is a fresh first attempt, for its row's provider, under the lease the row now holds.
    const leases = new Map(
      (
        await api.db.sql<{ correlation_id: string; lease_job: string }[]>`
        SELECT correlation_id, lease_job FROM requests`
      ).map((r) => [r.correlation_id, r.lease_job]),
    );
    for (const j of jobs) {
      expect(j).toMatchObject({ v: 1, provider: "aws", attempt: 0, id: leases.get(j.correlation_id) });
      expect(Math.abs(j.enqueued_at - Date.now())).toBeLessThan(60_000);
      expect(j.request).toMatchObject({ provider: "aws", action: "grant" });
    }
  });

  test("rebuildAll pages through every unfinished request and pending revocation", async () => {
    const unfinished = await Promise.all(Array.from({ length: 7 }, () => submitted()));
    const pending: string[] = [];
    for (let i = 0; i < 7; i++) pending.push(await applied(3_600_000));
    const captured = captureLog();
    const result = await rebuildAll({ ...deps(), log: captured.log, batch: 3 });
    expect(result).toEqual({ requeued: 7, revocations: 7 });
    expect(captured.lines().find((l) => l.requeued === 7)).toMatchObject({
      msg: "Redis lost its data: queues and the revocation schedule rebuilt",
      revocations: 7,
    });
    expect((await queued()).map((j) => j.correlation_id).sort()).toEqual(unfinished.sort());
    const scheduled = await api.r.redis.zrange(REVOCATION_SCHEDULE_KEY, "0", "-1");
    expect(scheduled.map((m) => (JSON.parse(m) as Job).correlation_id).sort()).toEqual(pending.sort());
  });
});

describe("Redis refusing a write", () => {
  // A job the reconciler could not queue must not be reported as queued: the pass fails, and the
  // next one (the row's lease lapses) tries again.
  test("a failed LPUSH fails the pass", async () => {
    const id = await submitted();
    await age(id, 5000);
    await api.r.redis.set("queue:aws", "not a list");
    await expect(reconcile(deps())).rejects.toThrow(/WRONGTYPE/);
    await api.r.redis.del("queue:aws");
  });

  test("a failed ZADD fails the rebuild", async () => {
    await applied(3_600_000);
    await api.r.redis.set(REVOCATION_SCHEDULE_KEY, "not a sorted set");
    await expect(rebuildAll(deps())).rejects.toThrow(/WRONGTYPE/);
    await api.r.redis.del(REVOCATION_SCHEDULE_KEY);
  });
});

describe("the reconcile task, tick by tick", () => {
  const EVERY = 60_000;
  function recordingTask() {
    const passes: string[] = [];
    const metrics = {
      reconciled: (kind: "periodic" | "rebuild") => void passes.push(kind),
      driftSweep: () => undefined,
    };
    const inner = reconcileTask({ ...deps(), clock: createDbClock(api.db.sql), metrics }, EVERY);
    const signal = new AbortController().signal;
    const task = { name: inner.name, run: ({ now }: { now: number }) => inner.run({ now, signal }) };
    return { task, passes };
  }

  test("an intact epoch: no rebuild; the periodic pass at the first tick, then exactly every interval", async () => {
    await api.r.redis.set(EPOCH_KEY, "an-earlier-life");
    const { task, passes } = recordingTask();
    expect(task.name).toBe("reconcile"); // what the scheduler's logs call it
    const t0 = 5_000_000;
    await task.run({ now: t0 });
    expect(passes).toEqual(["periodic"]);
    await task.run({ now: t0 + EVERY - 1 });
    expect(passes).toEqual(["periodic"]);
    await task.run({ now: t0 + EVERY });
    expect(passes).toEqual(["periodic", "periodic"]);
    await task.run({ now: t0 + EVERY + 1 });
    expect(passes).toEqual(["periodic", "periodic"]);
  });

  test("a lost epoch: one rebuild, not repeated on the next ticks, and it counts as that interval's pass", async () => {
    const id = await submitted();
    await api.r.redis.set(EPOCH_KEY, "an-earlier-life");
    const { task, passes } = recordingTask();
    const t0 = 5_000_000;
    await task.run({ now: t0 });
    await api.r.redis.del(EPOCH_KEY); // Redis lost its data
    await task.run({ now: t0 + 10 });
    expect(passes).toEqual(["periodic", "rebuild"]);
    expect((await queued()).map((j) => j.correlation_id)).toEqual([id]);
    await task.run({ now: t0 + 20 });
    await task.run({ now: t0 + 10 + EVERY - 1 });
    expect(passes).toEqual(["periodic", "rebuild"]);
    expect(await queued()).toHaveLength(1); // a second rebuild would have queued it again
    await task.run({ now: t0 + 10 + EVERY });
    expect(passes).toEqual(["periodic", "rebuild", "periodic"]);
  });
});

describe("after Redis lost its data", () => {
  test("rebuildAll queues every unfinished request at once and schedules every pending revocation", async () => {
    const pending = await submitted();
    const inFlight = await submitted();
    await api.db.sql`UPDATE requests SET status = 'PROCESSING', lease_job = 'old-chain',
                     lease_until = now() + interval '1 minute' WHERE correlation_id = ${inFlight}`;
    const due = await applied(-100, { job: "old-revocation", ms: 60_000 });
    const later = await applied(3_600_000);
    const result = await rebuildAll(deps());
    expect(result).toEqual({ requeued: 2, revocations: 2 });
    expect(new Set((await queued()).map((j) => j.correlation_id))).toEqual(new Set([pending, inFlight]));
    const scheduled = await api.r.redis.zrange(REVOCATION_SCHEDULE_KEY, "0", "-1", "WITHSCORES");
    const byId = new Map<string, number>();
    for (let i = 0; i + 1 < scheduled.length; i += 2) {
      byId.set((JSON.parse(scheduled[i] ?? "{}") as Job).correlation_id, Number(scheduled[i + 1]));
    }
    expect([...byId.keys()].sort()).toEqual([due, later].sort());
    expect(byId.get(later)).toBeGreaterThan(Date.now() + 3_000_000);
    // The old chains lived in the lost data: their leases are gone, so new jobs can act.
    const [row] = await api.db.sql<{ lease_job: string | null }[]>`
      SELECT lease_job FROM requests WHERE correlation_id = ${due}`;
    expect(row?.lease_job).toBeNull();
  });

  test("the scheduler task notices a missing epoch within a tick and rebuilds, once", async () => {
    const id = await submitted();
    const clock = createDbClock(api.db.sql);
    const task = reconcileTask({ ...deps(), clock }, 60_000);
    const scheduler = runTasks([task], { log, clock: Date.now, intervalMs: 20 });
    try {
      const until = Date.now() + 5000;
      while ((await queued()).length === 0 && Date.now() < until) await Bun.sleep(20);
      expect((await queued()).map((j) => j.correlation_id)).toEqual([id]);
      expect(await api.r.redis.get(EPOCH_KEY)).not.toBeNull();
      // A wipe: the epoch goes with everything else, and the next tick rebuilds again.
      await api.r.redis.del(EPOCH_KEY, "queue:aws");
      const again = Date.now() + 5000;
      while ((await queued()).length === 0 && Date.now() < again) await Bun.sleep(20);
      expect((await queued()).map((j) => j.correlation_id)).toEqual([id]);
    } finally {
      await scheduler.stop();
    }
    // With the epoch in place and nothing lost, ticks queue nothing more.
    expect(await queued()).toHaveLength(1);
  });
});
