import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { createTestApi, samples, type TestApi } from "../../tests/helpers/api.ts";
import { createLogger } from "../logging/logger.ts";
import type { Job } from "../queue/job.ts";
import { DRIFT_LOCK_KEY, DRIFT_REQUEST_KEY, type DriftSweepDeps, driftSweepTask } from "./drift-sweep.ts";

// The sweep's schedule and pace against real PostgreSQL and Redis: which accesses it looks at,
// and that it never starts more checks per second than its share.
let api: TestApi;
const log = createLogger({ service: "test-sweep", level: "silent" });
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(async () => {
  await api.close();
});
beforeEach(async () => {
  await api.db.sql`DELETE FROM requests`;
  await api.r.redis.del("queue:aws", "queue:azure", DRIFT_LOCK_KEY, DRIFT_REQUEST_KEY);
});

/** A grant row of user `n`, put in the given revocation state. */
async function grantIn(n: number, state: string): Promise<string> {
  const body = { ...samples.awsManaged(), principal: { type: "user", name: `u${n}` } };
  const res = await api.post(body);
  const { correlation_id: id } = (await res.json()) as { correlation_id: string };
  await api.db.sql.unsafe(`UPDATE requests SET pre_existing = false, ${state} WHERE correlation_id = $1`, [
    id,
  ]);
  return id;
}
const checks = async () =>
  (await api.r.redis.lrange("queue:aws", 0, -1))
    .map((j) => JSON.parse(j) as Job)
    .filter((j) => j.kind === "check");
const task = (callsPerSecond: number, over: Partial<DriftSweepDeps> = {}) =>
  driftSweepTask({
    sql: api.db.sql,
    redis: api.r.redis,
    log,
    everyMs: 300_000,
    callsPerSecond,
    recentMs: 86_400_000,
    ...over,
  });
/** A metrics sink that keeps what the sweep reported. */
function recorded() {
  const events: string[] = [];
  const metrics = {
    reconciled: () => undefined,
    driftSweep: (event: "started" | "completed", n?: number) =>
      void events.push(n === undefined ? event : `${event}:${n}`),
  };
  return { events, metrics };
}
const tick = (t: ReturnType<typeof task>, now: number) =>
  t.run({ now, signal: new AbortController().signal });

describe("drift sweep", () => {
  test("looks at open obligations, FAILED revocations and recent revocations — not at old or pending ones", async () => {
    const active = await grantIn(
      1,
      "status = 'SUCCESS', revocation_status = 'SCHEDULED', revoke_at = now() + interval '1 hour'",
    );
    const failed = await grantIn(2, "status = 'SUCCESS', revocation_status = 'FAILED'");
    const recent = await grantIn(
      3,
      "status = 'SUCCESS', revocation_status = 'REVOKED', revoked_at = now() - interval '1 hour'",
    );
    await grantIn(
      4,
      "status = 'SUCCESS', revocation_status = 'REVOKED', revoked_at = now() - interval '3 days'",
    );
    await grantIn(5, "status = 'PENDING'");
    await api.r.redis.del("queue:aws");
    const t = task(100);
    await tick(t, 0);
    await tick(t, 1000);
    expect(new Set((await checks()).map((j) => j.correlation_id))).toEqual(new Set([active, failed, recent]));
  });

  test("one check per access, however many rows share it", async () => {
    for (let i = 0; i < 3; i++) {
      await grantIn(
        7,
        "status = 'SUCCESS', revocation_status = 'SCHEDULED', revoke_at = now() + interval '1 hour'",
      );
    }
    await api.r.redis.del("queue:aws");
    const t = task(100);
    await tick(t, 0);
    await tick(t, 1000);
    expect(await checks()).toHaveLength(1);
  });

  test("never more checks than its share per second, and none again before the next interval", async () => {
    for (let i = 0; i < 12; i++) {
      await grantIn(100 + i, "status = 'SUCCESS', revocation_status = 'FAILED'");
    }
    await api.r.redis.del("queue:aws");
    const t = task(2);
    const seen: number[] = [];
    for (let now = 0; now <= 10_000; now += 500) {
      await tick(t, now);
      seen.push((await checks()).length);
    }
    // 2 per second from the start: 12 checks take about 6 s, at most 2 + 2/s × elapsed.
    for (const [i, n] of seen.entries()) expect(n).toBeLessThanOrEqual(2 + 2 * ((i * 500) / 1000));
    expect(seen.at(-1)).toBe(12);
    await tick(t, 60_000);
    expect(await checks()).toHaveLength(12);
  });

  test("one scheduler sweeps at a time; asking for a sweep starts one now", async () => {
    await grantIn(8, "status = 'SUCCESS', revocation_status = 'FAILED'");
    await api.r.redis.del("queue:aws");
    const [a, b] = [task(100), task(100)];
    await tick(a, 0);
    await tick(b, 0);
    await tick(a, 1000);
    await tick(b, 1000);
    expect(await checks()).toHaveLength(1);
    await api.r.redis.set(DRIFT_REQUEST_KEY, "1");
    await tick(b, 2000);
    await tick(b, 3000);
    expect(await checks()).toHaveLength(2);
    expect(await api.r.redis.get(DRIFT_REQUEST_KEY)).toBeNull();
  });

  test("the keys are the ones the operators' docs tell them to SET, and the task's name", () => {
    expect(DRIFT_REQUEST_KEY).toBe("drift:sweep:requested");
    expect(DRIFT_LOCK_KEY).toBe("drift:sweep:lock");
    expect(task(1).name).toBe("drift-sweep");
  });

  test("a sweep completes, reports its checks, and the next starts exactly one interval after the last start", async () => {
    await grantIn(20, "status = 'SUCCESS', revocation_status = 'FAILED'");
    await grantIn(21, "status = 'SUCCESS', revocation_status = 'FAILED'");
    await api.r.redis.del("queue:aws");
    const { events, metrics } = recorded();
    const t = task(100, { everyMs: 60_000, metrics });
    await tick(t, 10_000); // starts with a budget of one check
    await tick(t, 11_000);
    expect(events).toEqual(["started", "completed:2"]);
    const ids = (await checks()).map((j) => j.id);
    expect(ids).toHaveLength(2);
    for (const id of ids) expect(id).toMatch(/^check-[0-9a-f-]{36}$/);
    expect(new Set(ids).size).toBe(2);
    // The lock outlives nearly the whole interval, no more: the next sweep's SET NX succeeds.
    const ttl = await api.r.redis.pttl(DRIFT_LOCK_KEY);
    expect(ttl).toBeGreaterThan(58_000);
    expect(ttl).toBeLessThanOrEqual(59_000);
    await api.r.redis.del(DRIFT_LOCK_KEY); // as if it had expired
    await tick(t, 10_000 + 60_000 - 1);
    expect(events).toEqual(["started", "completed:2"]);
    await tick(t, 10_000 + 60_000);
    await tick(t, 11_000 + 60_000);
    expect(events).toEqual(["started", "completed:2", "started", "completed:2"]);
    expect(await checks()).toHaveLength(4);
  });

  test("a short interval still holds the lock for a second", async () => {
    const t = task(10, { everyMs: 1200 });
    await tick(t, 0);
    const ttl = await api.r.redis.pttl(DRIFT_LOCK_KEY);
    expect(ttl).toBeGreaterThan(500);
    expect(ttl).toBeLessThanOrEqual(1000);
  });

  test("a share of one check per second still sweeps: one check per tick a second apart", async () => {
    for (let i = 0; i < 2; i++) await grantIn(30 + i, "status = 'SUCCESS', revocation_status = 'FAILED'");
    await api.r.redis.del("queue:aws");
    const { events, metrics } = recorded();
    const t = task(1, { metrics });
    await tick(t, 0);
    expect(await checks()).toHaveLength(1);
    await tick(t, 1000);
    expect(await checks()).toHaveLength(2);
    await tick(t, 2000);
    expect(events).toEqual(["started", "completed:2"]);
  });

  test("Redis refusing the LPUSH fails the tick: checks not queued are not reported as queued", async () => {
    await grantIn(40, "status = 'SUCCESS', revocation_status = 'FAILED'");
    await api.r.redis.set("queue:aws", "not a list");
    const { events, metrics } = recorded();
    await expect(tick(task(100, { metrics }), 0)).rejects.toThrow(/WRONGTYPE/);
    expect(events).toEqual(["started"]);
    await api.r.redis.del("queue:aws");
  });
});
