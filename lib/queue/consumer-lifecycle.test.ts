import { afterEach, beforeAll, describe, expect, setDefaultTimeout, spyOn, test } from "bun:test";
import { createRedis, type Redis } from "../../lib/redis/connect.ts";
import { PermanentError, useConsumerHarness } from "../../tests/fixtures/consumer-harness.ts";
import {
  captureLog,
  connectWith,
  killConnections,
  namedConnections,
  processingLists,
  runUntilExit,
  testJob,
  waitFor,
  waitUntilBlocked,
} from "../../tests/fixtures/queue-support.ts";
import type { TestRedis } from "../../tests/helpers/redis.ts";
import { startTcpProxy, type TcpProxy } from "../../tests/helpers/tcp-proxy.ts";
import { type ConnectOptions, type Consumer, startConsumer } from "./consumer.ts";
import { parseDeadEntry } from "./dead-entry.ts";
import { enqueue } from "./enqueue.ts";
import { queueKeys } from "./keys.ts";
import { promoteRetries } from "./promote.ts";
import { newProcessId } from "./worker-id.ts";

// What the consumer does around its jobs: its defaults, its connections, how it stops, and how it
// keeps acks right across dropped connections and unreachable Redis.
setDefaultTimeout(30_000);

const K = queueKeys("aws");
const h = useConsumerHarness();
const { opened, consume, stopNow } = h;
let t: TestRedis;
let redis: Redis;
const proxies: TcpProxy[] = [];

beforeAll(() => {
  t = h.t;
  redis = h.redis;
});
afterEach(() => {
  for (const p of proxies.splice(0)) p.stop();
});

const redisMs = async () => {
  const [s, us] = await redis.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
};

describe("consumer defaults", () => {
  test("connections are named after the provider, process and worker; blocking ones get the block timeout on top", async () => {
    const connect = connectWith(t, opened);
    /** A connection factory that records what the consumer asked for. */
    const recording = (into: ConnectOptions[]) => (o: ConnectOptions) => {
      into.push(o);
      return connect(o);
    };
    const asked: ConnectOptions[] = [];
    const c = h.track(
      startConsumer({
        provider: "aws",
        concurrency: 2,
        connect: recording(asked),
        handler: async () => {},
        log: captureLog("silent").log,
      }),
    );
    await c.ready;
    const pid = c.workerIds[0]!.slice(0, -2);
    // newProcessId(): this host and pid, then 6 random hex digits.
    expect(pid.slice(0, -6)).toBe(newProcessId().slice(0, -6));
    expect(pid).toMatch(/-[0-9a-f]{6}$/);
    expect(c.workerIds).toEqual([`${pid}:0`, `${pid}:1`]);
    expect(asked).toEqual([
      { name: `csb-aws-${pid}-control`, commandTimeoutMs: 2000 },
      { name: `csb-aws-${pid}:0`, commandTimeoutMs: 3000 },
      { name: `csb-aws-${pid}:1`, commandTimeoutMs: 3000 },
    ]);
    // Every slot is registered in the live set by the first heartbeat.
    expect((await redis.zrange(K.workers, "0", "-1")).sort()).toEqual([...c.workerIds].sort());
    // Two processes never share worker ids.
    const other = consume(async () => {});
    expect(other.workerIds[0]).not.toBe(c.workerIds[0]);

    const custom: ConnectOptions[] = [];
    const d = h.track(
      startConsumer({
        provider: "aws",
        concurrency: 1,
        connect: recording(custom),
        handler: async () => {},
        log: captureLog("silent").log,
        processId: "p1",
        blockTimeoutMs: 250,
        commandTimeoutMs: 400,
      }),
    );
    expect(d.workerIds).toEqual(["p1:0"]);
    expect(custom).toEqual([
      { name: "csb-aws-p1-control", commandTimeoutMs: 400 },
      { name: "csb-aws-p1:0", commandTimeoutMs: 650 },
    ]);
  });

  test("a failed job is retried after the default backoff (half to all of 1 s), up to 5 attempts, and dies stamped with the time", async () => {
    const calls: number[] = [];
    const first = testJob({ first: true });
    const fourth = { ...testJob({ fourth: true }), attempt: 3 };
    const last = { ...testJob({ last: true }), attempt: 4 };
    // The harness's consumer with the consumer's own backoff (undefined: the default) and attempts.
    consume(
      async () => {
        calls.push(Date.now());
        throw new Error("503");
      },
      { backoff: undefined },
    );
    await redis.lpush(K.queue, JSON.stringify(first), JSON.stringify(fourth), JSON.stringify(last));
    await waitFor(
      async () => (await redis.zcard(K.delayed)) === 2 && (await redis.llen(K.dead)) === 1,
      "settled",
    );
    const readAt = await redisMs();
    const delayed = await redis.zrange(K.delayed, "0", "-1", "WITHSCORES");
    const due = new Map<string, number>();
    for (let i = 0; i < delayed.length; i += 2) {
      const j = JSON.parse(delayed[i]!) as { id: string; attempt: number };
      due.set(`${j.id}/${j.attempt}`, Number(delayed[i + 1]));
    }
    // attempt 0 → 1: base 1000 ms with equal jitter, so due 500–1000 ms after the failure.
    const d0 = due.get(`${first.id}/1`)!;
    expect(d0).toBeGreaterThanOrEqual(calls[0]! + 500);
    expect(d0).toBeLessThanOrEqual(readAt + 1000);
    // attempt 3 → 4: 8000 ms with equal jitter.
    const d3 = due.get(`${fourth.id}/4`)!;
    expect(d3).toBeGreaterThanOrEqual(calls[0]! + 4000);
    expect(d3).toBeLessThanOrEqual(readAt + 8000);
    const dead = parseDeadEntry((await redis.lindex(K.dead, 0))!);
    expect(JSON.parse(dead.job).id).toBe(last.id);
    expect(dead.reason).toBe("exhausted 5 attempts; last error: 503");
    expect(dead.failed_at).toBeGreaterThanOrEqual(calls[0]!);
    expect(dead.failed_at).toBeLessThanOrEqual(Date.now());
  });
});

describe("stopping", () => {
  test("stop() ends idle blocking claims at once (CLIENT UNBLOCK): a block timeout past the deadline still stops clean", async () => {
    const c = consume(async () => {}, { concurrency: 2, blockTimeoutMs: 60_000 });
    await c.ready;
    const blocked = async () => {
      const conns = await namedConnections(t);
      return c.workerIds.every((id) => conns.get(`csb-aws-${id}`) === "blmove");
    };
    await waitFor(blocked, "both slots blocked in BLMOVE");
    expect(await stopNow(c, 10_000)).toEqual({ clean: true, unfinished: 0 });
    expect(await redis.zcard(K.workers)).toBe(0);
  });

  test("stop() twice is one stop: both callers get the same result", async () => {
    const c = consume(async () => {});
    await c.ready;
    h.forget(c);
    const a = c.stop(2000);
    const b = c.stop(2000);
    expect(b).toBe(a);
    expect(await a).toEqual({ clean: true, unfinished: 0 });
  });

  test("a stop within its deadline never aborts the handlers' signal, and acks without an error", async () => {
    const seen: boolean[] = [];
    const captured = captureLog("warn");
    const c = consume(
      async (_j, ctx) => {
        await Bun.sleep(200);
        seen.push(ctx.signal.aborted);
      },
      { log: captured.log },
    );
    await enqueue(redis, testJob());
    await waitFor(async () => (await redis.llen(K.processing(c.workerIds[0]!))) === 1, "claimed");
    expect(await stopNow(c, 10_000)).toEqual({ clean: true, unfinished: 0 });
    expect(seen).toEqual([false]);
    expect(Object.values(await processingLists(t)).every((n) => n === 0)).toBe(true);
    expect(captured.lines()).toEqual([]);
  });

  test("a consumer that never reached Redis still resolves ready and stops; not clean, since it could not deregister", async () => {
    // ioredis leaves a connection that never connected in "reconnecting" after disconnect() (no
    // "end" event; its retry timer is cleared), so these are not in the leak guard's list.
    const refused: Redis[] = [];
    const stderr = spyOn(console, "error");
    const c = consume(async () => {}, {
      concurrency: 2,
      connect: (o) => {
        // Port 1 on loopback: connection refused, again and again.
        const r = createRedis("redis://127.0.0.1:1", { name: o.name, commandTimeoutMs: o.commandTimeoutMs });
        refused.push(r);
        return r;
      },
    });
    let ready = false;
    void c.ready.then(() => {
      ready = true;
    });
    await Bun.sleep(50);
    expect(ready).toBe(false);
    expect(await stopNow(c, 2000)).toEqual({ clean: false, unfinished: 0 });
    expect(ready).toBe(true);
    expect(refused).toHaveLength(3);
    expect(refused.filter((r) => r.status === "ready")).toEqual([]);
    // Each refused connect is an "error" event: the consumer handles them, ioredis prints none.
    const unhandled = stderr.mock.calls.filter((args) => String(args[0]).includes("Unhandled error event"));
    stderr.mockRestore();
    expect(unhandled).toEqual([]);
  });

  test("a clean stop leaves nothing running: a process that stops its consumer with a long deadline exits", async () => {
    const code = [
      `import { startConsumer } from ${JSON.stringify(`${import.meta.dir}/consumer.ts`)};`,
      `import { createRedis } from ${JSON.stringify(`${import.meta.dir}/../redis/connect.ts`)};`,
      `import { createLogger } from ${JSON.stringify(`${import.meta.dir}/../logging/logger.ts`)};`,
      "const c = startConsumer({",
      '  provider: "aws", concurrency: 2, blockTimeoutMs: 100, heartbeatIntervalMs: 100,',
      `  connect: (o) => createRedis(${JSON.stringify(t.url)}, { keyPrefix: ${JSON.stringify(t.prefix)}, name: o.name, commandTimeoutMs: o.commandTimeoutMs }),`,
      '  handler: async () => {}, log: createLogger({ service: "t", level: "silent" }),',
      "});",
      "await c.ready;",
      "console.log(JSON.stringify(await c.stop(600_000)));",
    ].join("\n");
    expect(await runUntilExit(code)).toEqual({ exited: true, stdout: '{"clean":true,"unfinished":0}\n' });
  });
});

describe("acks across faults", () => {
  test("claims whose replies were lost are all run, oldest first, after the reconnect", async () => {
    const handled: string[] = [];
    const c = consume(async (j) => {
      handled.push(j.id);
    });
    await c.ready;
    // Past its start-up look at its list: idle in a blocking claim.
    await waitUntilBlocked(t, c.workerIds[0]!);
    const lost = [testJob({ n: 1 }), testJob({ n: 2 }), testJob({ n: 3 })];
    // LPUSH order, as BLMOVE ... RIGHT LEFT would have put them: the newest at the head.
    await redis.lpush(K.processing(c.workerIds[0]!), ...lost.map((j) => JSON.stringify(j)));
    expect(await killConnections(t)).toBe(2);
    await waitFor(() => handled.length === 3, "every lost job run");
    expect(handled).toEqual(lost.map((j) => j.id));
    await waitFor(async () => (await redis.llen(K.processing(c.workerIds[0]!))) === 0, "acked");
  });

  test("after the blocking connection alone drops, ioredis resends the claim silently; a claim whose reply was lost is run too", async () => {
    const handled: string[] = [];
    const c = consume(async (j) => {
      handled.push(j.id);
    });
    await c.ready;
    await waitUntilBlocked(t, c.workerIds[0]!);
    const lost = testJob();
    await redis.lpush(K.processing(c.workerIds[0]!), JSON.stringify(lost));
    expect(await killConnections(t, (name) => name === `csb-aws-${c.workerIds[0]}`)).toBe(1);
    await waitFor(() => handled.length === 1, "the lost job run");
    expect(handled).toEqual([lost.id]);
  });

  test("a stop while lost claims are being run starts no more of them; they stay held for the reaper", async () => {
    const handled: string[] = [];
    let c: Consumer | undefined;
    let stopped: Promise<unknown> | undefined;
    c = consume(async (j) => {
      handled.push(j.id);
      if (handled.length === 1) stopped = stopNow(c!, 10_000);
    });
    await c.ready;
    await waitUntilBlocked(t, c!.workerIds[0]!);
    const lost = [testJob({ n: 1 }), testJob({ n: 2 })];
    await redis.lpush(K.processing(c.workerIds[0]!), ...lost.map((j) => JSON.stringify(j)));
    await killConnections(t);
    await waitFor(() => stopped !== undefined, "the stop");
    // Not clean: the slot keeps the second job, so it stays in the live set until it goes stale.
    expect(await stopped).toEqual({ clean: false, unfinished: 0 });
    expect(handled).toEqual([lost[0]!.id]);
    expect(await redis.lrange(K.processing(c.workerIds[0]!), 0, -1)).toEqual([JSON.stringify(lost[1])]);
    await redis.del(K.processing(c.workerIds[0]!));
  });

  test("after the shared connection alone reconnects, a claim whose reply was lost is run too", async () => {
    const handled: string[] = [];
    const c = consume(
      async (j) => {
        handled.push(j.id);
      },
      { blockTimeoutMs: 2000 },
    );
    await c.ready;
    // Past its start-up look at its list: idle in a blocking claim.
    await waitUntilBlocked(t, c.workerIds[0]!);
    const lost = testJob();
    await redis.lpush(K.processing(c.workerIds[0]!), JSON.stringify(lost));
    // Only the shared connection, while the slot blocks on its own (2 s): by the slot's next take
    // the shared one is back, so no command of the slot fails; only the reconnect tells it.
    const control = `csb-aws-${c.workerIds[0]!.slice(0, -2)}-control`;
    expect(await killConnections(t, (name) => name === control)).toBe(1);
    await waitFor(() => handled.length === 1, "the lost job run");
    expect(handled).toEqual([lost.id]);
  });

  test("heartbeats come once a second by default, not back to back", async () => {
    const c = consume(async () => {}, { heartbeatIntervalMs: undefined }); // the default interval
    await c.ready;
    // The beats' own timestamps (Redis clock), not the test's timing: a slow machine only
    // spreads them further apart.
    const beats: number[] = [];
    await waitFor(async () => {
      const score = Number(await redis.zscore(K.workers, c.workerIds[0]!));
      if (beats.at(-1) !== score) beats.push(score);
      return beats.length === 3;
    }, "three heartbeats");
    expect(beats[1]! - beats[0]!).toBeGreaterThanOrEqual(950);
    expect(beats[2]! - beats[1]!).toBeGreaterThanOrEqual(950);
  });

  test("the ack carried by a take that failed is sent again after the reconnect: the job runs once", async () => {
    const handled: string[] = [];
    const errors = spyOn(console, "error");
    try {
      const c = consume(async (j) => {
        handled.push(j.id);
        if (handled.length === 1) {
          // Drop every connection while this job is in hand, and return only once the shared
          // connection knows: the next take, carrying this job's ack, fails.
          const control = opened[0]!;
          await killConnections(t);
          await waitFor(() => control.status !== "ready", "control connection dropped");
        }
      });
      await c.ready;
      const job = testJob();
      await enqueue(redis, job);
      await waitFor(
        async () => (await redis.llen(K.processing(c.workerIds[0]!))) === 0 && handled.length > 0,
        "acked",
      );
      const second = testJob();
      await enqueue(redis, second);
      await waitFor(() => handled.includes(second.id), "the next job");
      expect(handled).toEqual([job.id, second.id]);
      // The dropped connections' errors are the consumer's to handle, not ioredis' stderr noise.
      expect(errors.mock.calls.filter((args) => String(args[0]).includes("Unhandled error event"))).toEqual(
        [],
      );
    } finally {
      errors.mockRestore();
    }
  });

  test("an ack of a job the reaper already took is logged as a warning: it may run twice; no other ack is", async () => {
    const captured = captureLog("warn");
    const done: string[] = [];
    const stolen = testJob({ stolen: true });
    const flaky = testJob({ flaky: true });
    const c = consume(
      async (j, ctx) => {
        if (j.id === flaky.id && j.attempt === 0) throw new Error("throttled"); // retried, not acked
        // The reaper's move, as if this worker had looked dead.
        if (j.id === stolen.id) await redis.lrem(K.processing(ctx.workerId), 0, ctx.raw);
        done.push(j.id);
      },
      { log: captured.log },
    );
    await c.ready;
    const notHeld = () =>
      captured.lines().filter((l) => String(l.msg).startsWith("acked a job this worker no longer held"));
    const plain = [testJob(), testJob(), testJob()];
    for (const j of [...plain, flaky]) await enqueue(redis, j);
    await redis.lpush(K.queue, "not json"); // dead-lettered, not acked
    await waitFor(() => done.length === 3 && notHeld().length === 0, "three plain jobs");
    const promoter = setInterval(() => void promoteRetries(redis, "aws", 100).catch(() => 0), 20);
    try {
      await waitFor(() => done.includes(flaky.id), "the retried job");
    } finally {
      clearInterval(promoter);
    }
    await enqueue(redis, testJob()); // carries the previous job's ack
    await waitFor(() => done.length === 5, "one more");
    expect(notHeld()).toEqual([]);

    await enqueue(redis, stolen);
    await enqueue(redis, testJob()); // carries the stolen job's ack
    await waitFor(() => notHeld().length === 1, "the warning");
    expect(notHeld()[0]).toMatchObject({ level: "warn", worker_id: c.workerIds[0] });
  });

  test("an ack that finds the job gone as the consumer stops is logged as a warning too", async () => {
    const captured = captureLog("warn");
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const c = consume(
      async (_j, ctx) => {
        await gate;
        await redis.lrem(K.processing(ctx.workerId), 0, ctx.raw);
      },
      { log: captured.log },
    );
    await enqueue(redis, testJob());
    await waitFor(async () => (await redis.llen(K.processing(c.workerIds[0]!))) === 1, "claimed");
    const stopped = stopNow(c, 10_000);
    release();
    expect(await stopped).toEqual({ clean: true, unfinished: 0 });
    expect(
      captured.lines().filter((l) => String(l.msg).startsWith("acked a job this worker no longer held")),
    ).toHaveLength(1);
  });

  test("acks that cannot be delivered before the stop ends are reported as an error, and the stop is not clean", async () => {
    const proxy = await startTcpProxy(Number(new URL(t.url).port || 6379), new URL(t.url).hostname);
    proxies.push(proxy);
    const url = new URL(t.url);
    url.host = `127.0.0.1:${proxy.port}`;
    const captured = captureLog("error");
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    // Every connection through the proxy; commands time out after 300 ms.
    const c = consume(
      async () => {
        await gate;
      },
      {
        connect: connectWith({ ...t, url: url.toString() }, opened),
        commandTimeoutMs: 300,
        log: captured.log,
      },
    );
    await enqueue(redis, testJob());
    await waitFor(async () => (await redis.llen(K.processing(c.workerIds[0]!))) === 1, "claimed");
    // From now on the server's replies are lost: every ack times out.
    proxy.holdReplies();
    const stopped = stopNow(c, 10_000);
    release();
    expect(await stopped).toEqual({ clean: false, unfinished: 0 });
    const errors = captured.lines().filter((l) => l.level === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      msg: "could not ack handled jobs before stopping; the reaper will return them and they will run again",
      jobs: 1,
      worker_id: c.workerIds[0],
    });
  });
});

describe("what handlers and on-call see", () => {
  test("the handler's logger names the job; a dead-lettered job is an error with its reason", async () => {
    const captured = captureLog("info");
    const ok = testJob();
    const doomed = { ...testJob(), kind: "revoke" as const };
    const c = consume(
      async (j, ctx) => {
        ctx.log.info("working");
        if (j.id === doomed.id) throw new PermanentError("NoSuchEntity");
      },
      { log: captured.log },
    );
    await enqueue(redis, ok);
    await enqueue(redis, doomed);
    await waitFor(async () => (await redis.llen(K.dead)) === 1, "the dead job");
    const working = captured.lines().filter((l) => l.msg === "working");
    expect(working.map((l) => l.job_id)).toEqual([ok.id, doomed.id]);
    expect(working[0]).toMatchObject({
      correlation_id: ok.correlation_id,
      provider: "aws",
      attempt: 0,
      process_id: c.workerIds[0]!.slice(0, -2),
    });
    const errors = captured.lines().filter((l) => l.level === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      msg: "job dead-lettered",
      job_id: doomed.id,
      reason: "permanent error: no_such_principal: NoSuchEntity",
    });
  });

  test("a job to dead-letter that the reaper already returned is a warning, not an alert, and is not dead-lettered", async () => {
    const captured = captureLog("warn");
    const doomed = testJob();
    consume(
      async (_j, ctx) => {
        // The reaper's move (this worker looked dead), then a verdict on the job it no longer holds.
        await redis.lrem(K.processing(ctx.workerId), 0, ctx.raw);
        await redis.lpush(K.queue, ctx.raw);
        throw new PermanentError("NoSuchEntity");
      },
      { log: captured.log, maxAttempts: 1 },
    );
    await enqueue(redis, doomed);
    const gone = () =>
      captured.lines().filter((l) => String(l.msg).startsWith("job to dead-letter was already returned"));
    await waitFor(() => gone().length >= 1, "the warning");
    expect(gone()[0]).toMatchObject({ level: "warn", job_id: doomed.id });
    expect(captured.lines().filter((l) => l.level === "error")).toEqual([]);
    expect(await redis.llen(K.dead)).toBe(0);
  });

  test("a queue whose jobs have no kind is told to the observer by its own name", async () => {
    const told: string[] = [];
    const job = { v: 1, id: "d1", provider: "aws", attempt: 0 };
    consume(async () => {}, {
      parse: (raw) => ({ ok: true, job: JSON.parse(raw) }),
      observer: { jobSettled: (provider, kind, result) => told.push(`${provider} ${kind} ${result}`) },
    });
    await redis.lpush(K.queue, JSON.stringify(job));
    await waitFor(() => told.length === 1, "the settlement");
    expect(told).toEqual(["aws aws done"]);
  });
});
