import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { createTestApi, samples, type TestApi } from "../../tests/helpers/api.ts";
import { createLogger } from "../logging/logger.ts";
import type { Job } from "../queue/job.ts";
import { DRIFT_LOCK_KEY, DRIFT_REQUEST_KEY, driftSweepTask } from "./drift-sweep.ts";

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
const task = (callsPerSecond: number) =>
  driftSweepTask({
    sql: api.db.sql,
    redis: api.r.redis,
    log,
    everyMs: 300_000,
    callsPerSecond,
    recentMs: 86_400_000,
  });
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
});
