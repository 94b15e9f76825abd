import { afterAll, beforeAll, describe, expect, spyOn, test } from "bun:test";
import { hostname } from "node:os";
import { z } from "zod";
import { createRedis } from "../../lib/redis/connect.ts";
import { captureLog, runUntilExit, testJob } from "../../tests/fixtures/queue-support.ts";
import { createTestRedis, type TestRedis } from "../../tests/helpers/redis.ts";
import { checkRedisPolicy } from "./check-redis-policy.ts";
import { asInteger, asStrings } from "./commands.ts";
import { deadEntry, parseDeadEntry } from "./dead-entry.ts";
import { queueKeys, REVOCATION_DEAD_KEY, REVOCATION_SCHEDULE_KEY } from "./keys.ts";
import { parseJob, parseWith } from "./parse-job.ts";
import { RetryJobError } from "./retry-job-error.ts";
import { sleep } from "./sleep.ts";
import { waitReady } from "./wait-ready.ts";
import { newProcessId } from "./worker-id.ts";

// The queue's small parts, each on its own: the key layout of the design, the envelope checks,
// and the waits every loop is built from (they must neither hang nor leak listeners).

let t: TestRedis;
beforeAll(async () => {
  t = await createTestRedis();
});
afterAll(async () => {
  await t.cleanup();
});

describe("key layout (docs/design.md, Redis keys)", () => {
  test("every queue key of a provider, and the revocation schedule's", () => {
    const k = queueKeys("azure");
    expect({ ...k, processing: k.processing("host-1-abc:3") }).toEqual({
      queue: "queue:azure",
      processing: "queue:azure:processing:host-1-abc:3",
      workers: "queue:azure:workers",
      delayed: "queue:azure:delayed",
      dead: "queue:azure:dead",
      recoveries: "queue:azure:recoveries",
    });
    expect(REVOCATION_SCHEDULE_KEY).toBe("schedule:revocations");
    expect(REVOCATION_DEAD_KEY).toBe("schedule:revocations:dead");
  });
});

describe("job envelope", () => {
  test("a job parses back to itself; what is not one says where it is wrong", () => {
    const job = testJob({ user: "alice" });
    expect(parseJob(JSON.stringify(job))).toEqual({ ok: true, job });
    expect(parseJob("{")).toEqual({ ok: false, reason: "unparsable: not JSON" });
    expect(parseJob(JSON.stringify({ ...job, attempt: -1, kind: "grab" }))).toEqual({
      ok: false,
      reason: "unparsable: invalid job at kind, attempt",
    });
    // The whole value wrong: named "(job)"; one path listed once however many issues it has.
    expect(parseJob("[]")).toEqual({ ok: false, reason: "unparsable: invalid job at (job)" });
    expect(parseJob(JSON.stringify({ ...job, id: "" }))).toEqual({
      ok: false,
      reason: "unparsable: invalid job at id",
    });
    // Another queue's schema (webhook deliveries): nested paths, dotted.
    const nested = z.object({
      v: z.literal(1),
      id: z.string(),
      provider: z.string(),
      attempt: z.number(),
      to: z.object({ url: z.string() }),
    });
    expect(
      parseWith(nested, JSON.stringify({ v: 1, id: "d", provider: "webhooks", attempt: 0, to: { url: 1 } })),
    ).toEqual({
      ok: false,
      reason: "unparsable: invalid job at to.url",
    });
  });

  test("a dead entry keeps the job as it was, bounds the reason at 2000 characters, names the worker if known", () => {
    const long = "x".repeat(2500);
    const e = parseDeadEntry(deadEntry("not json", long, 1234, "w:0"));
    expect(e).toEqual({ job: "not json", reason: "x".repeat(2000), failed_at: 1234, worker_id: "w:0" });
    expect(JSON.parse(deadEntry("j", "why", 5))).toEqual({ job: "j", reason: "why", failed_at: 5 });
    expect(() => parseDeadEntry(JSON.stringify({ job: 1, reason: "r", failed_at: 1 }))).toThrow();
  });

  test("script replies are narrowed or refused", () => {
    expect(asInteger(-1)).toBe(-1);
    expect(() => asInteger("1")).toThrow("queue script: expected an integer, got string");
    expect(asStrings(["a", "b"])).toEqual(["a", "b"]);
    expect(asStrings([])).toEqual([]);
    for (const bad of ["a", ["a", 1], null])
      expect(() => asStrings(bad)).toThrow("queue script: expected an array of strings");
  });

  test("RetryJobError: the handler's own delay, always retryable, with its cause", () => {
    const cause = new Error("Throttling");
    const e = new RetryJobError("retry after the cloud's Retry-After", 7000, { cause });
    expect(e).toMatchObject({
      code: "retry_job",
      retryable: true,
      delayMs: 7000,
      message: "retry after the cloud's Retry-After",
    });
    expect(e.cause).toBe(cause);
  });
});

describe("process ids", () => {
  test("host (made safe, at most 40 characters), pid and 6 random hex digits; never twice the same", () => {
    const id = newProcessId();
    const host = hostname()
      .replace(/[^A-Za-z0-9_.-]/g, "_")
      .slice(0, 40);
    expect(id.startsWith(`${host}-${process.pid}-`)).toBe(true);
    expect(id.slice(host.length)).toMatch(new RegExp(`^-${process.pid}-[0-9a-f]{6}$`));
    expect(newProcessId()).not.toBe(id);
  });

  test("a host name with other characters is made safe, and cut at 40 characters", () => {
    expect(newProcessId(`pod/with spaces:${"x".repeat(60)}`)).toMatch(
      new RegExp(`^pod_with_spaces_x{24}-${process.pid}-[0-9a-f]{6}$`),
    );
    expect(newProcessId("a-b_c.D9")).toMatch(new RegExp(`^a-b_c\\.D9-${process.pid}-[0-9a-f]{6}$`));
    expect(newProcessId("é")).toMatch(new RegExp(`^_-${process.pid}-`));
  });
});

describe("waits", () => {
  test("sleep: waits its time; an abort ends it early; an aborted signal does not wait at all", async () => {
    let t0 = performance.now();
    await sleep(60);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(55);

    const ac = new AbortController();
    t0 = performance.now();
    const removed = spyOn(ac.signal, "removeEventListener");
    setTimeout(() => ac.abort(), 10);
    await sleep(60_000, ac.signal);
    expect(performance.now() - t0).toBeLessThan(30_000);
    expect(removed).toHaveBeenCalledTimes(1);
    expect(removed.mock.calls[0]?.[0]).toBe("abort");

    let done = false;
    void sleep(60_000, ac.signal).then(() => {
      done = true;
    });
    await Promise.resolve();
    expect(done).toBe(true);
  });

  test("an aborted sleep keeps nothing alive: a process waiting on one exits", async () => {
    const code = [
      `import { sleep } from ${JSON.stringify(`${import.meta.dir}/sleep.ts`)};`,
      "const ac = new AbortController();",
      "setTimeout(() => ac.abort(), 20);",
      "await sleep(600_000, ac.signal);",
      'console.log("woke");',
    ].join("\n");
    expect(await runUntilExit(code)).toEqual({ exited: true, stdout: "woke\n" });
  });

  test("waitReady: at once when ready or aborted; otherwise on the ready event, leaving no listener behind", async () => {
    const ready = await t.connect();
    await waitReady(ready, new AbortController().signal);

    const lazy = createRedis(t.url, { keyPrefix: t.prefix });
    try {
      expect(lazy.status).not.toBe("ready");
      const before = lazy.listenerCount("ready");
      const ac = new AbortController();
      await waitReady(lazy, ac.signal);
      expect(lazy.status).toBe("ready");
      expect(lazy.listenerCount("ready")).toBe(before);

      lazy.disconnect();
      await new Promise((r) => lazy.once("end", r));
      const aborted = new AbortController();
      aborted.abort();
      await waitReady(lazy, aborted.signal);
      const later = new AbortController();
      const unlistened = spyOn(later.signal, "removeEventListener");
      const waiting = waitReady(lazy, later.signal);
      expect(lazy.listenerCount("ready")).toBe(before + 1);
      later.abort();
      await waiting;
      expect(lazy.listenerCount("ready")).toBe(before);
      expect(unlistened.mock.calls.map((c) => c[0])).toEqual(["abort"]);
    } finally {
      lazy.disconnect();
    }
  });
});

describe("checkRedisPolicy", () => {
  test("a Redis it cannot ask gives null and a warning, and the start goes on", async () => {
    const captured = captureLog("warn");
    const down = createRedis("redis://127.0.0.1:1");
    down.on("error", () => {});
    try {
      expect(await checkRedisPolicy(down, captured.log)).toBeNull();
      expect(captured.lines()).toHaveLength(1);
      expect(captured.lines()[0]?.level).toBe("warn");
    } finally {
      down.disconnect();
    }
  });
});
