import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { captureLog, watchLoopLag } from "../../../tests/fixtures/queue-support.ts";
import { createTestRedis, type TestRedis } from "../../../tests/helpers/redis.ts";
import { startTcpProxy } from "../../../tests/helpers/tcp-proxy.ts";
import { createLogger } from "../../logging/logger.ts";
import { createRedis, type Redis } from "../../redis/connect.ts";
import {
  type CallBudgetObserver,
  type CallBudgetOptions,
  CallBudgetWaitExceeded,
  callBudgetKeys,
  createCallBudget,
} from "./call-budget.ts";

const TAKER = new URL("../../../tests/fixtures/call-budget-taker.ts", import.meta.url).pathname;
const quiet = createLogger({ service: "test", level: "silent" });

let t: TestRedis;
const opened: Redis[] = [];
beforeAll(async () => {
  t = await createTestRedis();
});
afterAll(async () => {
  for (const r of opened) r.disconnect();
  await t.cleanup();
});

let n = 0;
const freshAccount = () => `acct-${++n}`;

/** Another connection to the test's namespace: what another worker process would hold. */
const connection = (): Promise<Redis> => t.connect();

function budget(more: Partial<CallBudgetOptions> & { account: string }) {
  return createCallBudget({
    redis: t.redis,
    provider: "aws",
    callsPerSecond: 50,
    burst: 5,
    maxWaitMs: 10_000,
    log: quiet,
    ...more,
  });
}

function counting(): CallBudgetObserver & { counts: Record<string, number> } {
  const counts = { waited: 0, failedOpen: 0, paused: 0, waitExceeded: 0 };
  return {
    counts,
    waited: () => void counts.waited++,
    failedOpen: () => void counts.failedOpen++,
    paused: () => void counts.paused++,
    waitExceeded: () => void counts.waitExceeded++,
  };
}

/**
 * The budget's promise on grant times (client clocks, read just after each grant): in any span d
 * at most burst + d × rate slots, give or take `jitterMs` of scheduling delay on this machine.
 */
function worstWindow(times: readonly number[], rate: number, burst: number, jitterMs: number): number {
  const ts = [...times].sort((a, b) => a - b);
  let worst = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < ts.length; i++) {
    for (let j = i; j < ts.length; j++) {
      const span = Math.max(0, (ts[j] as number) - (ts[i] as number) + jitterMs);
      worst = Math.max(worst, j - i + 1 - (burst + (span / 1000) * rate));
    }
  }
  return worst;
}

async function takeMany(b: ReturnType<typeof budget>, count: number, concurrency: number): Promise<number[]> {
  const times: number[] = [];
  let left = count;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left > 0) {
        left--;
        await b.take();
        times.push(Date.now());
      }
    }),
  );
  return times;
}

describe("call budget (GCRA in Redis)", () => {
  test("a sustained rate is respected over a window, and every waiter is served", async () => {
    const b = budget({ account: freshAccount(), callsPerSecond: 50, burst: 5 });
    const lag = watchLoopLag();
    const times = await takeMany(b, 60, 8);
    lag.stop();
    expect(times).toHaveLength(60);
    const span = Math.max(...times) - Math.min(...times);
    // 55 slots beyond the burst at 50/s: at least 1.1 s, less a little scheduling noise.
    expect(span).toBeGreaterThanOrEqual(1050);
    expect(span).toBeLessThan(5000); // waits are the script's, not a backoff that overshoots
    // Grants are read on this process's clock: a process that could not run for a while reads
    // several at once. Allow the longest such stall seen during the takes on top of 40 ms.
    expect(worstWindow(times, 50, 5, 40 + lag.maxLagMs())).toBeLessThanOrEqual(0);
  });

  test("a fresh account gets its burst at once; then a call that cannot get a slot in time is not sent", async () => {
    const observer = counting();
    const b = budget({ account: freshAccount(), callsPerSecond: 1, burst: 5, maxWaitMs: 300, observer });
    const started = performance.now();
    await Promise.all(Array.from({ length: 5 }, () => b.take()));
    expect(performance.now() - started).toBeLessThan(500);
    const refused = await b.take().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(CallBudgetWaitExceeded);
    const err = refused as CallBudgetWaitExceeded;
    expect([err.code, err.retryable, err.providerCode]).toEqual([
      "call_budget_wait_exceeded",
      true,
      "CallBudgetWaitExceeded",
    ]);
    // The next slot is ~1 s away: the queue is told to come back no sooner.
    expect(err.retryAfterMs).toBeGreaterThan(500);
    expect(err.retryAfterMs).toBeLessThanOrEqual(2100);
    expect(observer.counts).toMatchObject({ waited: 5, waitExceeded: 1, failedOpen: 0 });
  });

  test("accounts are independent", async () => {
    const a = budget({ account: freshAccount(), callsPerSecond: 1, burst: 1, maxWaitMs: 100 });
    const b = budget({ account: freshAccount(), callsPerSecond: 1, burst: 1, maxWaitMs: 100 });
    await a.take();
    await expect(a.take()).rejects.toBeInstanceOf(CallBudgetWaitExceeded);
    await b.take();
  });

  test("several processes share one budget: together they keep to it", async () => {
    const account = freshAccount();
    const [rate, burst, perProcess, processes] = [30, 3, 20, 3];
    const children: Subprocess<"pipe", "pipe", "pipe">[] = [];
    try {
      const outputs = Array.from({ length: processes }, () => {
        const proc = Bun.spawn(
          [
            process.execPath,
            TAKER,
            JSON.stringify({
              redisUrl: t.url,
              prefix: t.prefix,
              account,
              callsPerSecond: rate,
              burst,
              count: perProcess,
              concurrency: 4,
            }),
          ],
          { stdin: "pipe", stdout: "pipe", stderr: "pipe" },
        );
        children.push(proc);
        return proc;
      });
      // Every child connected and waiting: then all start at once.
      const readers = outputs.map((p) => {
        let text = "";
        const done = (async () => {
          const dec = new TextDecoder();
          for await (const chunk of p.stdout) text += dec.decode(chunk);
          return text;
        })();
        return { current: () => text, done };
      });
      const until = Date.now() + 20_000;
      while (!readers.every((r) => r.current().includes("READY"))) {
        if (Date.now() > until) throw new Error("children not READY");
        await Bun.sleep(20);
      }
      for (const p of outputs) {
        p.stdin.write("go\n");
        await p.stdin.end();
      }
      const codes = await Promise.all(outputs.map((p) => p.exited));
      expect(codes).toEqual([0, 0, 0]);
      const reports = (await Promise.all(readers.map((r) => r.done))).map((text) => {
        const line = text.split("\n").find((l) => l.startsWith("{")) ?? "{}";
        return JSON.parse(line) as { times: number[]; maxLagMs: number };
      });
      const times = reports.flatMap((r) => r.times);
      const maxLagMs = Math.max(...reports.map((r) => r.maxLagMs));
      expect(times).toHaveLength(processes * perProcess);
      // One bucket for all: 57 slots beyond the burst at 30/s take ≥ 1.9 s whoever asks. Three
      // separate budgets would each be done in ~0.6 s, side by side.
      const span = Math.max(...times) - Math.min(...times);
      expect(span).toBeGreaterThanOrEqual(1850);
      // Each child reads its grants on its own clock; allow the longest stall any of them saw.
      expect(worstWindow(times, rate, burst, 60 + maxLagMs)).toBeLessThanOrEqual(0);
    } finally {
      for (const c of children) c.kill("SIGKILL");
    }
  });

  test("a throttle's Retry-After pauses every sharer, not only the one throttled", async () => {
    const account = freshAccount();
    const [a, b, c] = [
      budget({ account, callsPerSecond: 100, burst: 100, redis: await connection() }),
      budget({ account, callsPerSecond: 100, burst: 100, redis: await connection() }),
      budget({ account, callsPerSecond: 100, burst: 100, redis: await connection(), maxWaitMs: 200 }),
    ];
    await Promise.all([a.take(), b.take(), c.take()]); // plenty of slots
    const started = performance.now();
    await a.throttled(1500);
    // B waits the pause out...
    await b.take();
    expect(performance.now() - started).toBeGreaterThanOrEqual(1400);
    // ...and one that may not wait that long is told to come back when it ends.
    await a.throttled(1000);
    const refused = await c.take().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(CallBudgetWaitExceeded);
    expect((refused as CallBudgetWaitExceeded).retryAfterMs).toBeGreaterThan(800);
  });

  test("a call that booked its slot before a pause began waits the pause out too", async () => {
    const account = freshAccount();
    const a = budget({ account, callsPerSecond: 2, burst: 1, redis: await connection() });
    const b = budget({ account, callsPerSecond: 2, burst: 1, redis: await connection() });
    await a.take(); // the bucket is empty now: the next slot is 500 ms away
    const started = performance.now();
    const waiting = b.take(); // books that slot and sleeps towards it
    await Bun.sleep(0);
    await a.throttled(1500); // meanwhile the cloud throttles A
    await waiting;
    expect(performance.now() - started).toBeGreaterThanOrEqual(1400);
  });

  test("callers are served in the order they asked", async () => {
    const b = budget({ account: freshAccount(), callsPerSecond: 20, burst: 1 });
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        await b.take();
        order.push(i);
      }),
    );
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test("a pause only grows, is bounded, and leaves no key behind", async () => {
    const account = freshAccount();
    const b = budget({ account, maxPauseMs: 3000 });
    const { pause } = callBudgetKeys("aws", account);
    await b.throttled(2000);
    await b.throttled(200); // a shorter hint does not shorten it
    const ttl = await t.redis.pttl(pause);
    expect(ttl).toBeGreaterThan(1500);
    expect(ttl).toBeLessThanOrEqual(2002);
    await b.throttled(86_400_000); // a day's Retry-After: capped
    expect(await t.redis.pttl(pause)).toBeLessThanOrEqual(3002);
    // No Retry-After (AWS's usual Throttling): the default pause.
    const other = freshAccount();
    await budget({ account: other, defaultPauseMs: 700 }).throttled(undefined);
    const otherTtl = await t.redis.pttl(callBudgetKeys("aws", other).pause);
    expect(otherTtl).toBeGreaterThan(400);
    expect(otherTtl).toBeLessThanOrEqual(702);
  });

  test("fail-open: with Redis unreachable every call goes at once, logged once", async () => {
    const closed = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = closed.port;
    closed.stop(true);
    const dead = createRedis(`redis://127.0.0.1:${port}`, {});
    dead.on("error", () => {});
    opened.push(dead);
    const captured = captureLog("info");
    const observer = counting();
    const b = createCallBudget({
      redis: dead,
      provider: "aws",
      account: freshAccount(),
      callsPerSecond: 1,
      burst: 1,
      maxWaitMs: 10_000,
      log: captured.log,
      observer,
    });
    const started = performance.now();
    for (let i = 0; i < 5; i++) await b.take();
    await b.throttled(1000);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(observer.counts.failedOpen).toBe(6);
    const warnings = captured.lines().filter((l) => l.level === "warn");
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]?.msg)).toContain("unmetered");
  });

  test("fail-open: a Redis that stops answering costs each call its short timeout, no more", async () => {
    const proxy = await startTcpProxy(Number(new URL(t.url).port || 6379), new URL(t.url).hostname);
    try {
      const slow = createRedis(`redis://127.0.0.1:${proxy.port}`, { keyPrefix: t.prefix });
      slow.on("error", () => {});
      opened.push(slow);
      await new Promise<void>((resolve) => slow.once("ready", () => resolve()));
      const captured = captureLog("info");
      const observer = counting();
      const b = createCallBudget({
        redis: slow,
        provider: "aws",
        account: freshAccount(),
        callsPerSecond: 1,
        burst: 1,
        maxWaitMs: 10_000,
        redisTimeoutMs: 150,
        log: captured.log,
        observer,
      });
      await b.take(); // answered: the slot is taken
      proxy.holdReplies();
      const started = performance.now();
      await b.take(); // would wait ~1 s; Redis says nothing, so it goes after the timeout
      await b.take();
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(900);
      expect(observer.counts.failedOpen).toBe(2);
      expect(captured.lines().filter((l) => l.level === "warn")).toHaveLength(1);
    } finally {
      proxy.stop();
    }
  });
});
