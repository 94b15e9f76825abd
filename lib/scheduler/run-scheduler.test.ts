import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { queueKeys, REVOCATION_SCHEDULE_KEY } from "../../lib/queue/keys.ts";
import { revocationJob, scheduleAt } from "../../lib/queue/schedule.ts";
import type { Redis } from "../../lib/redis/connect.ts";
import { captureLog, clearKeys, testJob, waitFor } from "../../tests/fixtures/queue-support.ts";
import { createTestRedis, type TestRedis } from "../../tests/helpers/redis.ts";
import { canonicalJson } from "../json/canonical-json.ts";
import { redisTimeMs } from "../queue/redis-time.ts";
import { runScheduler } from "./run-scheduler.ts";
import type { TickContext } from "./task.ts";

setDefaultTimeout(30_000);

const AWS = queueKeys("aws");
const AZURE = queueKeys("azure");
let t: TestRedis;
let redis: Redis;

beforeAll(async () => {
  t = await createTestRedis();
  redis = t.redis;
});
afterEach(async () => {
  await clearKeys(t);
});
afterAll(async () => {
  await t.cleanup();
});

const grant = (n: number, provider: "aws" | "azure") => ({
  correlation_id: `00000000-0000-4000-8000-00000000000${n}`,
  provider,
  request: { n },
  received_at: 1,
});

describe("scheduler", () => {
  test("a tick promotes due retries and revocations, reaps dead workers, runs extra tasks, logs each moved job", async () => {
    const now = 1_000_000;
    const retry = JSON.stringify({ ...testJob(), attempt: 1 });
    const notYet = JSON.stringify({ ...testJob(), attempt: 1 });
    // Retries are due by the Redis clock; revocations by the injected (database) clock.
    const redisNow = await redisTimeMs(redis);
    await redis.zadd(AWS.delayed, redisNow - 1, retry, redisNow + 60_000, notYet);
    await scheduleAt(redis, REVOCATION_SCHEDULE_KEY, revocationJob(grant(1, "aws")), now - 5);
    await scheduleAt(redis, REVOCATION_SCHEDULE_KEY, revocationJob(grant(2, "azure")), now);
    await scheduleAt(redis, REVOCATION_SCHEDULE_KEY, revocationJob(grant(3, "azure")), now + 1);
    const held = JSON.stringify(testJob({}, "azure"));
    await redis.rpush(AZURE.processing("gone:0"), held);
    await redis.zadd(AZURE.workers, 0, "gone:0"); // a heartbeat from 1970: long dead

    const ticks: TickContext[] = [];
    const { log, lines } = captureLog();
    const scheduler = runScheduler({
      redis,
      log,
      clock: () => now,
      intervalMs: 50,
      providers: ["aws", "azure"],
      heartbeatTimeoutMs: 5000,
      maxRecoveries: 3,
      extraTasks: [
        { name: "reconcile", run: async (ctx) => void ticks.push(ctx) },
        {
          name: "broken",
          run: async () => {
            throw new Error("boom");
          },
        },
      ],
    });
    await waitFor(() => ticks.length >= 3, "three ticks");
    await scheduler.stop();

    expect(await redis.lrange(AWS.queue, 0, -1)).toEqual([
      canonicalJson(revocationJob(grant(1, "aws"))),
      retry,
    ]);
    // The dead worker's job went to the consuming end: it runs next.
    expect(await redis.lrange(AZURE.queue, 0, -1)).toEqual([
      canonicalJson(revocationJob(grant(2, "azure"))),
      held,
    ]);
    expect(await redis.zrange(AWS.delayed, 0, "-1")).toEqual([notYet]);
    expect(await redis.zrange(REVOCATION_SCHEDULE_KEY, 0, "-1")).toEqual([
      canonicalJson(revocationJob(grant(3, "azure"))),
    ]);
    expect(await redis.zcard(AZURE.workers)).toBe(0);
    expect(ticks.every((c) => c.now === now)).toBe(true);

    const msgs = lines().map((l) => `${l.msg} ${l.job_id ?? ""}`.trim());
    expect(msgs).toContain(`retry due: back in the queue ${JSON.parse(retry).id}`);
    expect(msgs).toContain(`revocation due: queued revoke-${grant(1, "aws").correlation_id}`);
    expect(msgs).toContain(`revocation due: queued revoke-${grant(2, "azure").correlation_id}`);
    expect(msgs).toContain(`job of a dead worker requeued ${JSON.parse(held).id}`);
    // A failing task is logged once per failure streak, and the tasks after it still ran.
    expect(lines().filter((l) => l.task === "broken")).toHaveLength(1);
  });

  test("after Redis lost its data, a worker that died before its next heartbeat has its jobs back within a heartbeat timeout", async () => {
    // Repro (revocation model, seed 1014): FLUSHALL empties queue:<p>:workers; a worker claims a
    // job and is killed before its next heartbeat lists it again. Its processing list then belongs
    // to no listed worker, so only the orphan sweep (every 30 s by default) returned the job: a
    // revocation 24 s late.
    const LIFE = "meta:epoch";
    await redis.set(LIFE, "life-1");
    const { log } = captureLog();
    let ticks = 0;
    const scheduler = runScheduler({
      redis,
      log,
      clock: Date.now,
      intervalMs: 50,
      providers: ["aws"],
      heartbeatTimeoutMs: 300,
      maxRecoveries: 3,
      orphanSweepEveryMs: 60_000,
      redisLifeKey: LIFE,
      extraTasks: [{ name: "count", run: async () => void ticks++ }],
    });
    try {
      await waitFor(() => ticks >= 2, "the first sweep done");
      const stranded = JSON.stringify(testJob());
      await redis.rpush(AWS.processing("vm-1-dead:0"), stranded);
      // Without a wipe it is left to the (distant) orphan sweep: a live worker may simply be slow.
      const later = ticks + 15; // well past the heartbeat timeout
      await waitFor(() => ticks >= later, "a while of ticks");
      expect(await redis.llen(AWS.queue)).toBe(0);
      await redis.del(LIFE); // the wipe (a new life: the reconciler writes a new epoch)
      await redis.set(LIFE, "life-2");
      await waitFor(
        async () => (await redis.llen(AWS.queue)) === 1,
        "the stranded job back in the queue",
        3000,
      );
      expect(await redis.lindex(AWS.queue, 0)).toBe(stranded);
    } finally {
      await scheduler.stop();
    }
  });

  test("the service: `bun services/scheduler/main.ts` promotes a due revocation and exits 0 on SIGTERM", async () => {
    const job = revocationJob(grant(4, "aws"));
    await scheduleAt(redis, REVOCATION_SCHEDULE_KEY, job, Date.now() - 1);
    const main = new URL("../../services/scheduler/main.ts", import.meta.url).pathname;
    // `env` adds the service's variables on top of the inherited environment.
    const proc = Bun.spawn(
      [
        "env",
        `REDIS_URL=${t.url}`,
        `REDIS_KEY_PREFIX=${t.prefix}`,
        "SCHEDULER_INTERVAL_MS=100",
        "LOG_LEVEL=info",
        process.execPath,
        main,
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    try {
      await waitFor(async () => (await redis.llen(AWS.queue)) === 1, "the revocation queued");
      expect(await redis.lindex(AWS.queue, 0)).toBe(canonicalJson(job));
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
    } finally {
      proc.kill("SIGKILL"); // never leave it running, even when the test fails
    }
    const out = await new Response(proc.stdout).text();
    expect(out).toContain('"msg":"revocation due: queued"');
    expect(out).toContain('"service":"csecbridge-scheduler"');
  });
});
