// The queue's guarantees with real consumer processes (tests/fixtures/queue-consumer.ts):
// several processes, kill -9, SIGTERM, a job that kills its worker.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Redis } from "../../lib/redis/connect.ts";
import { runScheduler, type Scheduler } from "../../lib/scheduler/run-scheduler.ts";
import {
  type ConsumerProcess,
  type ConsumerProcessConfig,
  spawnConsumer,
} from "../../tests/fixtures/queue-processes.ts";
import {
  captureLog,
  clearKeys,
  counts,
  processingLists,
  testJob,
  waitFor,
} from "../../tests/fixtures/queue-support.ts";
import { createTestRedis, type TestRedis } from "../../tests/helpers/redis.ts";
import { parseDeadEntry } from "./dead-entry.ts";
import { enqueue } from "./enqueue.ts";
import { queueKeys } from "./keys.ts";

setDefaultTimeout(60_000);

const K = queueKeys("aws");
const HEARTBEAT_TIMEOUT_MS = 1000;
let t: TestRedis;
let redis: Redis;
const children: ConsumerProcess[] = [];
const schedulers: Scheduler[] = [];

beforeAll(async () => {
  t = await createTestRedis();
  redis = t.redis;
});
afterEach(async () => {
  for (const c of children.splice(0)) {
    c.proc.kill("SIGKILL");
    await c.proc.exited;
  }
  for (const s of schedulers.splice(0)) await s.stop();
  await clearKeys(t);
});
afterAll(async () => {
  await t.cleanup();
});

let seq = 0;
function consumer(more: Partial<ConsumerProcessConfig> = {}): ConsumerProcess {
  const c = spawnConsumer({
    redisUrl: t.url,
    prefix: t.prefix,
    provider: "aws",
    // Unique across test runs sharing the server: CLIENT LIST below picks connections by name.
    processId: `${t.prefix.slice(0, -1)}-fx${++seq}`,
    concurrency: 2,
    heartbeatIntervalMs: 200,
    blockTimeoutMs: 200,
    ...more,
  });
  children.push(c);
  return c;
}

function scheduler(maxRecoveries = 3): Scheduler {
  const s = runScheduler({
    redis,
    log: captureLog("silent").log,
    clock: Date.now,
    intervalMs: 100,
    providers: ["aws", "azure"],
    heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS,
    maxRecoveries,
    orphanSweepEveryMs: 1000,
  });
  schedulers.push(s);
  return s;
}

const allEmpty = async () => Object.values(await processingLists(t)).every((n) => n === 0);

describe("consumer processes", () => {
  test("many consumers in several processes: every job handled exactly once", async () => {
    const jobs = Array.from({ length: 600 }, (_, n) => testJob({ n }));
    const ids = [1, 2, 3].map((n) => `${t.prefix.slice(0, -1)}-fx${seq + n}`);
    const procs = ids.map(() => consumer({ concurrency: 4, blockTimeoutMs: 5000 }));
    await Promise.all(procs.map((p) => p.ready));
    // Every slot idle in BLMOVE before the first push: Redis serves blocked clients oldest first,
    // so the first jobs go to every process whatever the machine's load (a process still starting
    // up could otherwise find the work all done).
    await waitFor(async () => {
      const list = String(await redis.client("LIST"));
      return ids.every((id) =>
        [0, 1, 2, 3].every(
          (i) =>
            list.includes(`name=csb-aws-${id}:${i} `) &&
            new RegExp(`name=csb-aws-${id}:${i} [^\n]*cmd=blmove`).test(list),
        ),
      );
    }, "every slot blocked");
    for (const j of jobs) await enqueue(redis, j);
    await waitFor(async () => (await redis.llen("test:done")) >= jobs.length, "every job done");
    await waitFor(allEmpty, "every job acked");
    const done = await counts(redis, "test:done");
    expect(done.size).toBe(jobs.length);
    expect([...done.values()].every((n) => n === 1)).toBe(true);
    expect(await redis.llen(K.queue)).toBe(0);
    // The work was really shared between the processes.
    const by = await counts(redis, "test:done-by");
    expect(by.size).toBe(procs.length);
    for (const p of procs) p.proc.kill("SIGTERM");
    expect(await Promise.all(procs.map((p) => p.proc.exited))).toEqual([0, 0, 0]);
    expect(await redis.zcard(K.workers)).toBe(0);
  });

  test("kill -9 of a process holding jobs: after the heartbeat timeout they go to another consumer; none lost", async () => {
    const jobs = Array.from({ length: 10 }, (_, n) => testJob({ n }));
    const holder = consumer({ concurrency: 4, holdJobs: true });
    await holder.ready;
    for (const j of jobs) await enqueue(redis, j);
    await waitFor(async () => (await redis.llen("test:started")) === 4, "four jobs held");
    holder.proc.kill("SIGKILL");
    expect(await holder.proc.exited).not.toBe(0);

    scheduler();
    const rescuer = consumer({ concurrency: 2 });
    await rescuer.ready;
    await waitFor(
      async () => (await counts(redis, "test:done")).size === jobs.length,
      "every job done",
      20_000,
    );
    await waitFor(allEmpty, "nothing left in processing lists");
    const done = await counts(redis, "test:done");
    expect([...done.keys()].sort()).toEqual(jobs.map((j) => j.id).sort());
    expect(await redis.llen(K.queue)).toBe(0);
    expect(await processingLists(t)).toEqual({});
    // The dead process's workers are gone from the live set.
    expect((await redis.zrange(K.workers, 0, "-1")).filter((w) => w.startsWith(`fx${seq - 1}:`))).toEqual([]);
  });

  test("SIGTERM with jobs in flight: they finish and are acked, none is claimed after the signal, exit 0", async () => {
    // Longer than the heartbeat timeout, with a reaper running: heartbeats must go on while the
    // in-flight jobs finish, or the reaper would hand them out again.
    const slow = [testJob({ sleepMs: 2000 }), testJob({ sleepMs: 2000 })];
    scheduler();
    const waiting = Array.from({ length: 8 }, (_, n) => testJob({ n }));
    const c = consumer({ concurrency: 2 });
    await c.ready;
    for (const j of [...slow, ...waiting]) await enqueue(redis, j);
    await waitFor(async () => (await redis.llen("test:started")) === 2, "two in flight");
    c.proc.kill("SIGTERM");
    expect(await c.proc.exited).toBe(0);
    expect((await redis.lrange("test:done", 0, -1)).sort()).toEqual(slow.map((j) => j.id).sort());
    expect(await redis.llen("test:started")).toBe(2);
    expect(await redis.llen(K.queue)).toBe(waiting.length);
    // The next job to be taken is still the oldest waiting one.
    expect(await redis.lindex(K.queue, -1)).toBe(JSON.stringify(waiting[0]));
    expect(await processingLists(t)).toEqual({});
    expect(await redis.zcard(K.workers)).toBe(0);
  });

  test("a job that kills its worker every time ends in the dead list after N recoveries", async () => {
    const maxRecoveries = 2;
    const poison = testJob({ kill: true });
    const innocent = testJob({ n: 1 });
    await enqueue(redis, poison);
    scheduler(maxRecoveries);
    let deaths = 0;
    // Keep one consumer process alive, as a supervisor would, until the poison is dead-lettered.
    while ((await redis.llen(K.dead)) === 0 && deaths <= maxRecoveries + 1) {
      const c = consumer({ concurrency: 1 });
      const code = await c.proc.exited;
      expect(code).not.toBe(0);
      deaths++;
      await waitFor(
        async () => (await redis.llen(K.queue)) > 0 || (await redis.llen(K.dead)) > 0,
        "the poison job recovered or dead-lettered",
      );
    }
    expect(deaths).toBe(maxRecoveries + 1);
    const entry = parseDeadEntry((await redis.lindex(K.dead, 0))!);
    expect(JSON.parse(entry.job).id).toBe(poison.id);
    expect(entry.reason).toContain("poison");
    // The queue goes on: a normal job after it is handled.
    const c = consumer({ concurrency: 1 });
    await c.ready;
    await enqueue(redis, innocent);
    await waitFor(async () => (await redis.lrange("test:done", 0, -1)).includes(innocent.id), "the next job");
    expect(await redis.llen(K.queue)).toBe(0);
  });
});
