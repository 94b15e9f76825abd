// Several schedulers run the same scripts at the same moment: nothing moved twice, nothing lost.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createRedis, type Redis } from "../../lib/redis/connect.ts";
import { counts, waitFor } from "../../tests/fixtures/queue-support.ts";
import { createTestRedis, type TestRedis } from "../../tests/helpers/redis.ts";
import { claim } from "./claim.ts";
import { queueKeys, REVOCATION_SCHEDULE_KEY } from "./keys.ts";
import { promoteRetries, promoteRevocations } from "./promote.ts";
import { reapDeadWorkers } from "./reap.ts";

setDefaultTimeout(60_000);

let t: TestRedis;
let a: Redis;
let b: Redis;

beforeAll(async () => {
  t = await createTestRedis();
  a = createRedis(t.url, { keyPrefix: t.prefix });
  b = createRedis(t.url, { keyPrefix: t.prefix });
  await waitFor(() => a.status === "ready" && b.status === "ready", "connections");
});
afterAll(async () => {
  a.disconnect();
  b.disconnect();
  await t.cleanup();
});

/**
 * Runs `step` on both connections at once, each until `left` says nothing is left (by default,
 * until its step returns nothing), and gathers what each moved.
 */
async function race<T>(step: (r: Redis) => Promise<T[]>, left?: () => Promise<boolean>): Promise<T[]> {
  const drain = async (r: Redis) => {
    const out: T[] = [];
    for (;;) {
      const got = await step(r);
      out.push(...got);
      if (left ? !(await left()) : got.length === 0) return out;
    }
  };
  return (await Promise.all([drain(a), drain(b)])).flat();
}

describe("concurrent schedulers", () => {
  test("two schedulers promoting the same due retries, many rounds: each member moved exactly once", async () => {
    const K = queueKeys("aws");
    for (let round = 0; round < 40; round++) {
      const members = Array.from({ length: 250 }, (_, i) => `r${round}-m${i}`);
      await a.zadd(K.delayed, ...members.flatMap((m, i) => [i % 100, m]));
      await a.zadd(K.delayed, 9e15, `r${round}-not-due`);
      const moved = await race((r) => promoteRetries(r, "aws", 17));
      expect(moved.sort()).toEqual([...members].sort());
      const inQueue = await counts(a, K.queue);
      expect(inQueue.size).toBe(members.length);
      expect([...inQueue.values()].every((n) => n === 1)).toBe(true);
      expect(await a.zcard(K.delayed)).toBe(round + 1); // only the not-due members remain
      await a.del(K.queue);
    }
  });

  test("two schedulers promoting the same due revocations, many rounds: each routed exactly once", async () => {
    for (let round = 0; round < 40; round++) {
      const jobs = Array.from({ length: 200 }, (_, i) =>
        JSON.stringify({ id: `r${round}-j${i}`, provider: i % 2 ? "aws" : "azure" }),
      );
      await a.zadd(REVOCATION_SCHEDULE_KEY, ...jobs.flatMap((j, i) => [i, j]));
      const moved = await race((r) => promoteRevocations(r, ["aws", "azure"], 1000, 13));
      expect(moved.map((m) => m.job).sort()).toEqual([...jobs].sort());
      const aws = await a.lrange(queueKeys("aws").queue, 0, -1);
      const azure = await a.lrange(queueKeys("azure").queue, 0, -1);
      expect(aws.length + azure.length).toBe(jobs.length);
      expect(new Set([...aws, ...azure]).size).toBe(jobs.length);
      expect(aws.every((j) => JSON.parse(j).provider === "aws")).toBe(true);
      expect(azure.every((j) => JSON.parse(j).provider === "azure")).toBe(true);
      expect(await a.zcard(REVOCATION_SCHEDULE_KEY)).toBe(0);
      await a.del(queueKeys("aws").queue, queueKeys("azure").queue);
    }
  });

  test("two reapers on the same dead workers, many rounds: each job requeued exactly once", async () => {
    const K = queueKeys("aws");
    const opts = { heartbeatTimeoutMs: 1000, maxRecoveries: 1000 };
    for (let round = 0; round < 20; round++) {
      const jobs = Array.from({ length: 60 }, (_, i) => `r${round}-j${i}`);
      await a.lpush(K.queue, ...jobs);
      const [s] = await a.time();
      for (let w = 0; w < 20; w++) {
        for (let k = 0; k < 3; k++) await claim(a, "aws", `w${w}`, 50);
        await a.zadd(K.workers, Number(s) * 1000 - 60_000, `w${w}`);
      }
      expect(await a.llen(K.queue)).toBe(0);
      // A reaper can find only workers the other just took (and so move nothing) while some are
      // left: each goes on until no worker is listed.
      const reaped = await race(
        (r) => reapDeadWorkers(r, "aws", { ...opts, limit: 3 }),
        async () => (await a.zcard(K.workers)) > 0,
      );
      expect(reaped.flatMap((w) => w.requeued).sort()).toEqual([...jobs].sort());
      const inQueue = await counts(a, K.queue);
      expect(inQueue.size).toBe(jobs.length);
      expect([...inQueue.values()].every((n) => n === 1)).toBe(true);
      expect(await a.zcard(K.workers)).toBe(0);
      await a.del(K.queue, K.recoveries);
    }
  });
});
