import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createRedis, type Redis } from "../../lib/redis/connect.ts";
import { useConsumerHarness } from "../../tests/fixtures/consumer-harness.ts";
import {
  killConnections,
  namedConnections,
  processingLists,
  testJob,
  waitFor,
  waitUntilBlocked,
} from "../../tests/fixtures/queue-support.ts";
import type { TestRedis } from "../../tests/helpers/redis.ts";
import { throwawayRedis } from "../../tests/helpers/throwaway.ts";
import type { Consumer } from "./consumer.ts";
import { enqueue } from "./enqueue.ts";
import { queueKeys } from "./keys.ts";

// The consumer while Redis holds every write (CLIENT PAUSE WRITE): a take in flight as the stop
// begins, and acks that time out as it reconnects. CLIENT PAUSE holds every client of the server,
// so these run on a redis-server of their own, never on the one other test runs share.
setDefaultTimeout(30_000);

const K = queueKeys("aws");
const server = throwawayRedis();
beforeAll(async () => {
  await server.start();
});
const h = useConsumerHarness({ redisUrl: () => server.url });
afterAll(async () => {
  await server.stop();
});
const { opened, consume, stopNow } = h;
let t: TestRedis;
let redis: Redis;
beforeAll(() => {
  t = h.t;
  redis = h.redis;
});

/**
 * Stops `c` while its next take is held server-side: every write waits (CLIENT PAUSE WRITE),
 * `release` lets the handler in hand finish, and the stop begins once that take is waiting.
 */
async function stopWhileTakeHeld(c: Consumer, release: () => void) {
  const admin = createRedis(t.url);
  try {
    await waitFor(() => admin.status === "ready", "admin connection");
    await admin.client("PAUSE", 5000, "WRITE");
    release();
    const control = `csb-aws-${c.workerIds[0]!.slice(0, -2)}-control`;
    await waitFor(
      async () => (await namedConnections(t)).get(control) === "evalsha",
      "the take held by the pause",
    );
    const stopped = stopNow(c, 10_000);
    await admin.client("UNPAUSE");
    return await stopped;
  } finally {
    await admin.client("UNPAUSE").catch(() => 0);
    admin.disconnect();
  }
}

describe("a stop while writes are held", () => {
  test("a job whose take was in flight as the stop began is handed back to the queue untouched, not run", async () => {
    const handled: string[] = [];
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const c = consume(async (j) => {
      handled.push(j.id);
      await gate;
    });
    const first = testJob({ n: 1 });
    const second = testJob({ n: 2 });
    await enqueue(redis, first);
    await enqueue(redis, second);
    await waitFor(() => handled.length === 1, "the first job in hand");
    // Writes wait server-side: the take that acks the first job and claims the second is held
    // until the stop has begun, and then answers with the second job.
    expect(await stopWhileTakeHeld(c, release)).toEqual({ clean: true, unfinished: 0 });
    expect(handled).toEqual([first.id]);
    expect(await redis.lrange(K.queue, 0, -1)).toEqual([JSON.stringify(second)]);
    expect(Object.values(await processingLists(t)).every((n) => n === 0)).toBe(true);
  });

  test("a take that finds the queue empty as the stop begins does not go on to block for a claim", async () => {
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const handled: string[] = [];
    const c = consume(
      async (j) => {
        handled.push(j.id);
        await gate;
      },
      { blockTimeoutMs: 60_000 },
    );
    await enqueue(redis, testJob());
    await waitFor(() => handled.length === 1, "the only job in hand");
    // A claim after the stop began would block for 60 s, past the 10 s deadline.
    expect(await stopWhileTakeHeld(c, release)).toEqual({ clean: true, unfinished: 0 });
    expect(Object.values(await processingLists(t)).every((n) => n === 0)).toBe(true);
  });
});

describe("acks while writes are held", () => {
  test("writes held server-side (CLIENT PAUSE) as the consumer reconnects: its acks time out, and still nothing runs twice", async () => {
    const handled: string[] = [];
    const admin = createRedis(t.url);
    try {
      await waitFor(() => admin.status === "ready", "admin connection");
      const c = consume(
        async (j) => {
          handled.push(j.id);
          if (handled.length === 1) {
            // Drop the connections with this job's ack still to send; then hold every write for
            // a while, so the recovery's first acks time out (300 ms). Its LRANGE, queued behind
            // them on the same connection, must not find the handled job and run it again.
            const control = opened[0]!;
            await killConnections(t);
            await waitFor(() => control.status !== "ready", "control connection dropped");
            await admin.client("PAUSE", 1500, "WRITE");
          }
        },
        { commandTimeoutMs: 300 },
      );
      await c.ready;
      await waitUntilBlocked(t, c.workerIds[0]!);
      const job = testJob();
      await enqueue(redis, job);
      await waitFor(() => handled.length > 0, "the job");
      await waitFor(
        async () => (await redis.llen(K.processing(c.workerIds[0]!))) === 0,
        "acked after the pause",
      );
      const next = testJob();
      await enqueue(redis, next);
      await waitFor(() => handled.includes(next.id), "the next job");
      expect(handled).toEqual([job.id, next.id]);
    } finally {
      await admin.client("UNPAUSE").catch(() => 0);
      admin.disconnect();
    }
  });
});
