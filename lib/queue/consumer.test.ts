import { afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Redis } from "../../lib/redis/connect.ts";
import { runScheduler, type Scheduler } from "../../lib/scheduler/run-scheduler.ts";
import { PermanentError, useConsumerHarness } from "../../tests/fixtures/consumer-harness.ts";
import {
  captureLog,
  killConnections,
  processingLists,
  testJob,
  waitFor,
  waitUntilBlocked,
} from "../../tests/fixtures/queue-support.ts";
import type { TestRedis } from "../../tests/helpers/redis.ts";
import { parseDeadEntry } from "./dead-entry.ts";
import { enqueue } from "./enqueue.ts";
import type { Job } from "./job.ts";
import { queueKeys } from "./keys.ts";

setDefaultTimeout(30_000);

const K = queueKeys("aws");
const h = useConsumerHarness();
const { consume } = h;
let t: TestRedis;
let redis: Redis;
const schedulers: Scheduler[] = [];

beforeAll(() => {
  t = h.t;
  redis = h.redis;
});
afterEach(async () => {
  for (const s of schedulers.splice(0)) await s.stop();
});

function schedule(): Scheduler {
  const s = runScheduler({
    redis,
    log: captureLog("silent").log,
    clock: Date.now,
    intervalMs: 20,
    providers: ["aws", "azure"],
    heartbeatTimeoutMs: 1000,
    maxRecoveries: 3,
  });
  schedulers.push(s);
  return s;
}

describe("consumer", () => {
  test("one consumer handles jobs in FIFO order, each once, and acks them all", async () => {
    const jobs = Array.from({ length: 60 }, (_, n) => testJob({ n }));
    for (const j of jobs) await enqueue(redis, j);
    const seen: string[] = [];
    const c = consume(async (job) => {
      seen.push(job.id);
    });
    await waitFor(() => seen.length === jobs.length, "all jobs");
    await waitFor(async () => (await redis.llen(K.processing(c.workerIds[0]!))) === 0, "acks");
    expect(seen).toEqual(jobs.map((j) => j.id));
    expect(await redis.llen(K.queue)).toBe(0);
  });

  test("a failing job is retried with backoff, attempt + 1 each time, until it succeeds", async () => {
    const job = testJob();
    await enqueue(redis, job);
    const tries: { attempt: number; at: number }[] = [];
    schedule();
    consume(async (j) => {
      tries.push({ attempt: j.attempt, at: Date.now() });
      if (j.attempt < 2) throw new Error("throttled");
    });
    await waitFor(() => tries.length === 3, "three attempts");
    expect(tries.map((x) => x.attempt)).toEqual([0, 1, 2]);
    // Backoff with equal jitter: at least half the exponential step between attempts.
    expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(20);
    expect(tries[2]!.at - tries[1]!.at).toBeGreaterThanOrEqual(40);
    await waitFor(async () => Object.values(await processingLists(t)).every((n) => n === 0), "acked");
    expect(await redis.llen(K.dead)).toBe(0);
    expect(await redis.zcard(K.delayed)).toBe(0);
  });

  test("exhausted attempts go to the dead list with the reason; a permanent error at once", async () => {
    const flaky = testJob({ flaky: true });
    const doomed = testJob({ doomed: true });
    await enqueue(redis, flaky);
    await enqueue(redis, doomed);
    const attempts = new Map<string, number[]>();
    schedule();
    consume(
      async (j: Job) => {
        attempts.set(j.id, [...(attempts.get(j.id) ?? []), j.attempt]);
        if (j.id === doomed.id) throw new PermanentError("NoSuchEntity: user alice does not exist");
        throw new Error("503 from the cloud");
      },
      { maxAttempts: 3 },
    );
    await waitFor(async () => (await redis.llen(K.dead)) === 2, "two dead jobs");
    expect(attempts.get(flaky.id)).toEqual([0, 1, 2]);
    expect(attempts.get(doomed.id)).toEqual([0]);
    const entries = (await redis.lrange(K.dead, 0, -1)).map(parseDeadEntry);
    const byId = new Map(entries.map((e) => [JSON.parse(e.job).id as string, e]));
    expect(byId.get(flaky.id)!.reason).toBe("exhausted 3 attempts; last error: 503 from the cloud");
    expect(JSON.parse(byId.get(flaky.id)!.job).attempt).toBe(2);
    expect(byId.get(doomed.id)!.reason).toBe(
      "permanent error: no_such_principal: NoSuchEntity: user alice does not exist",
    );
    expect(Object.values(await processingLists(t)).every((n) => n === 0)).toBe(true);
  });

  test("the observer is told once per job how it was settled, with its kind and how long it took", async () => {
    const ok = testJob({ ok: true });
    const flaky = testJob({ flaky: true });
    const doomed = { ...testJob({ doomed: true }), kind: "revoke" as const };
    const stray = testJob({}, "azure");
    await enqueue(redis, ok);
    await enqueue(redis, flaky);
    await enqueue(redis, doomed);
    await redis.lpush(K.queue, JSON.stringify(stray)); // enqueue would route it to queue:azure
    await redis.lpush(K.queue, "not json");
    const told: { provider: string; kind: string; result: string; seconds: number; id?: string }[] = [];
    const t0 = performance.now();
    const current: string[] = [];
    schedule();
    consume(
      async (j) => {
        current.push(j.id);
        await Bun.sleep(5); // a measurable duration
        if (j.id === doomed.id) throw new PermanentError("NoSuchEntity");
        if (j.id === flaky.id && j.attempt === 0) throw new Error("throttled");
      },
      {
        observer: {
          jobSettled: (provider, kind, result, seconds) => told.push({ provider, kind, result, seconds }),
        },
      },
    );
    await waitFor(() => told.length === 6, "six settlements");
    expect(told.map(({ provider, kind, result }) => `${provider} ${kind} ${result}`).sort()).toEqual(
      [
        "aws grant done", // ok
        "aws grant retried", // flaky, first try
        "aws grant done", // flaky, second try
        "aws revoke dead", // doomed: a permanent error
        "aws grant dead", // the azure job in queue:aws
        "aws unknown dead", // not JSON
      ].sort(),
    );
    // No settlement took longer than the whole test so far.
    const elapsed = (performance.now() - t0) / 1000;
    for (const x of told) {
      expect(x.seconds).toBeGreaterThanOrEqual(0);
      expect(x.seconds).toBeLessThanOrEqual(elapsed);
    }
    // The handled ones include the handler's time (≥ 5 ms); seconds, not milliseconds.
    const handled = told.filter((x) => x.kind !== "unknown" && !(x.result === "dead" && x.kind === "grant"));
    for (const x of handled) expect(x.seconds).toBeGreaterThanOrEqual(0.004);
    expect(current).not.toContain(stray.id);
    const reasons = (await redis.lrange(K.dead, 0, -1)).map((e) => parseDeadEntry(e).reason);
    expect(reasons).toContain("wrong queue: a azure job in queue:aws");
  });

  test("a job that cannot be parsed is dead-lettered at once, exactly as it was, without calling the handler", async () => {
    const bad = ["not json", JSON.stringify({ v: 1, id: "x" }), JSON.stringify({ ...testJob(), v: 99 })];
    for (const b of bad) await redis.lpush(K.queue, b);
    const good = testJob();
    await enqueue(redis, good);
    const handled: string[] = [];
    consume(async (j) => {
      handled.push(j.id);
    });
    await waitFor(() => handled.length === 1, "the good job");
    await waitFor(async () => (await redis.llen(K.dead)) === 3, "three dead");
    const entries = (await redis.lrange(K.dead, 0, -1)).map(parseDeadEntry).reverse();
    expect(entries.map((e) => e.job)).toEqual(bad);
    expect(entries[0]!.reason).toBe("unparsable: not JSON");
    expect(entries[2]!.reason).toContain("invalid job at v");
    expect(handled).toEqual([good.id]);
  });

  test("the Redis connections are killed (CLIENT KILL) and the consumer reconnects and goes on", async () => {
    const done = new Set<string>();
    consume(
      async (j) => {
        done.add(j.id);
      },
      { concurrency: 3 },
    );
    const first = Array.from({ length: 20 }, () => testJob());
    for (const j of first) await enqueue(redis, j);
    await waitFor(() => done.size === 20, "first batch");

    const killAll = () => killConnections(t);
    expect(await killAll()).toBe(4); // 3 blocking connections + the shared one
    const second = Array.from({ length: 20 }, () => testJob());
    for (const j of second) await enqueue(redis, j);
    await waitFor(() => done.size === 40, "second batch, after the kill");
    // Twice more, back to back: more than one reconnect attempt per command.
    await killAll();
    await Bun.sleep(20);
    await killAll();
    const third = Array.from({ length: 20 }, () => testJob());
    for (const j of third) await enqueue(redis, j);
    await waitFor(() => done.size === 60, "third batch");
    await waitFor(async () => Object.values(await processingLists(t)).every((n) => n === 0), "all acked");
    expect(await redis.llen(K.queue)).toBe(0);
  });

  test("a job moved into a worker's list whose reply was lost (connection dropped) is run after the reconnect", async () => {
    const handled: string[] = [];
    const c = consume(async (j) => {
      handled.push(j.id);
    });
    await c.ready;
    // Past its start-up look at its list: idle in a blocking claim.
    await waitUntilBlocked(t, c.workerIds[0]!);
    // As if Redis had moved the job for this worker and the reply had died with the connection.
    const lost = testJob();
    await redis.lpush(K.processing(c.workerIds[0]!), JSON.stringify(lost));
    expect(await killConnections(t)).toBe(2);
    await waitFor(() => handled.length === 1, "the lost job run");
    expect(handled).toEqual([lost.id]);
    await waitFor(async () => (await redis.llen(K.processing(c.workerIds[0]!))) === 0, "acked");
  });

  test("stop(): in-flight jobs finish and are acked, nothing is claimed after, workers leave the live set", async () => {
    const started: string[] = [];
    const finished: string[] = [];
    const c = consume(
      async (j) => {
        started.push(j.id);
        await Bun.sleep(300);
        finished.push(j.id);
      },
      { concurrency: 2 },
    );
    for (let i = 0; i < 6; i++) await enqueue(redis, testJob({ i }));
    await waitFor(() => started.length === 2, "two in flight");
    const result = await h.stopNow(c, 5000);
    expect(result).toEqual({ clean: true, unfinished: 0 });
    expect(finished).toEqual(started);
    expect(started).toHaveLength(2);
    expect(await redis.llen(K.queue)).toBe(4);
    expect(Object.values(await processingLists(t)).every((n) => n === 0)).toBe(true);
    expect(await redis.zcard(K.workers)).toBe(0);
  });

  test("stop() past its deadline leaves the job held under a stale heartbeat; the reaper gives it to another consumer", async () => {
    const job = testJob();
    await enqueue(redis, job);
    let signalled = false;
    const stuck = consume(async (_j, ctx) => {
      await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
      signalled = true;
      await new Promise(() => {}); // ignores the signal: the job must not be acked
    });
    await waitFor(async () => (await redis.llen(K.processing(stuck.workerIds[0]!))) === 1, "claimed");
    const result = await h.stopNow(stuck, 100);
    expect(result).toEqual({ clean: false, unfinished: 1 });
    expect(signalled).toBe(true);
    expect(await redis.zscore(K.workers, stuck.workerIds[0]!)).not.toBeNull();

    const rescued: string[] = [];
    schedule();
    consume(async (j) => {
      rescued.push(j.id);
    });
    await waitFor(() => rescued.length === 1, "rescued by another consumer");
    expect(rescued).toEqual([job.id]);
    await waitFor(async () => Object.values(await processingLists(t)).every((n) => n === 0), "acked");
  });
});
