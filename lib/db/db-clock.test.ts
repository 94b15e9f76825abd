import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestApi, type TestApi } from "../../tests/helpers/api.ts";
import { waitUntil } from "../../tests/helpers/spawn-service.ts";
import { createLogger } from "../logging/logger.ts";
import { jobSchema } from "../queue/job.ts";
import { queueKeys, REVOCATION_SCHEDULE_KEY } from "../queue/keys.ts";
import { revocationJob, scheduleAt } from "../queue/schedule.ts";
import { runScheduler } from "../scheduler/run-scheduler.ts";
import { createDbClock } from "./db-clock.ts";

// One clock decides what is due (guarantee 7, docs/revocation.md "One clock"): the database's. A process whose own clock
// is a minute off still promotes revocations on time.
let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(async () => {
  await api.close();
});

const SKEW_MS = 60_000;
const dbNow = async () => {
  const [row] = await api.db.sql<
    { ms: number }[]
  >`SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms`;
  return row?.ms ?? 0;
};

describe("database clock", () => {
  test("a process clock a minute behind or ahead reads the database's time once synced", async () => {
    for (const skew of [-SKEW_MS, SKEW_MS]) {
      const clock = createDbClock(api.db.sql, () => Date.now() + skew);
      await clock.sync();
      expect(Math.abs(clock.now() - (await dbNow()))).toBeLessThan(250);
      expect(Math.abs(clock.offsetMs() + skew)).toBeLessThan(250);
    }
  });

  test("a scheduler whose own clock is a minute behind promotes a due revocation on time", async () => {
    const clock = createDbClock(api.db.sql, () => Date.now() - SKEW_MS);
    await clock.sync();
    const id = crypto.randomUUID();
    const job = revocationJob({ correlation_id: id, provider: "aws", request: {}, received_at: 1 });
    const dueAt = (await dbNow()) + 300; // set by the database's clock, as revoke_at is
    await scheduleAt(api.r.redis, REVOCATION_SCHEDULE_KEY, job, dueAt);
    const scheduler = runScheduler({
      redis: api.r.redis,
      log: createLogger({ service: "test", level: "silent" }),
      clock: clock.now,
      intervalMs: 50,
      providers: ["aws", "azure"],
      heartbeatTimeoutMs: 10_000,
      maxRecoveries: 3,
    });
    try {
      await waitUntil(async () => (await api.r.redis.llen(queueKeys("aws").queue)) > 0, "promotion", 10_000);
      const lateness = (await dbNow()) - dueAt;
      // By its own clock the revocation would be a minute early: it waited for the database's.
      expect(lateness).toBeGreaterThanOrEqual(-50);
      expect(lateness).toBeLessThan(5000);
    } finally {
      await scheduler.stop();
    }
  });
  test("reads whole milliseconds, like Date.now(): what it stamps on a job is a valid job", async () => {
    // Repro (revocation model, seed 202): PostgreSQL's clock has microseconds, so the measured
    // offset had a fraction; the drift sweep stamped enqueued_at with it and every check job was
    // dead-lettered as "unparsable: invalid job at enqueued_at" — the sweep never looked at anything.
    let local = 1_000_000;
    const clock = createDbClock(api.db.sql, () => (local += 3));
    for (let i = 0; i < 20; i++) {
      await clock.sync();
      expect(Number.isInteger(clock.offsetMs())).toBe(true);
      expect(Number.isInteger(clock.now())).toBe(true);
    }
    expect(Math.abs(clock.now() - (await dbNow()))).toBeLessThan(1000);
    const job = {
      v: 1,
      id: "check-x",
      correlation_id: crypto.randomUUID(),
      provider: "aws",
      kind: "check",
      attempt: 0,
      enqueued_at: clock.now(),
      request: null,
    };
    expect(jobSchema.safeParse(job).success).toBe(true);
  });
});
