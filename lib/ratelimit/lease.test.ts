import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestRedis, type TestRedis } from "../../tests/helpers/redis.ts";
import { createRateLeases, LEASE_MS, leaseSize, MAX_LEASE } from "./lease.ts";
import { intervalMicros, type RateLimit } from "./limits.ts";
import { takeTokens } from "./take.ts";

let r: TestRedis;
beforeAll(async () => {
  r = await createTestRedis();
});
afterAll(async () => {
  await r.cleanup();
});

let n = 0;
const freshClient = () => `lease-client-${++n}`;

/** µs of budget the client's bucket has used beyond now: (TAT - now), read from Redis. */
async function usedUs(client: string): Promise<number> {
  const [tat, time] = await Promise.all([r.redis.get(`ratelimit:${client}`), r.redis.time()]);
  return Number(tat ?? 0) - (Number(time[0]) * 1_000_000 + Number(time[1]));
}

describe("lua/gcra.lua with want > 1", () => {
  test("grants as many as the bucket holds, then 0 with the wait", async () => {
    const limit: RateLimit = { requests: 10, perMs: 60_000, burst: 10 };
    const client = freshClient();
    const a = await takeTokens(r.redis, client, limit, 4);
    expect([a.granted, a.remaining]).toEqual([4, 6]);
    const b = await takeTokens(r.redis, client, limit, 8);
    expect([b.granted, b.remaining]).toEqual([6, 0]);
    const c = await takeTokens(r.redis, client, limit, 3);
    expect(c.granted).toBe(0);
    expect(c.waitUs).toBeGreaterThan(0);
  });
});

describe("leases", () => {
  test("size: 1 below a burst of 200 (the default limit asks Redis every time), 1 % above, capped", () => {
    const size = (burst: number) => leaseSize({ requests: burst, perMs: 1000, burst });
    expect(size(1)).toBe(1);
    expect(size(100)).toBe(1);
    expect(size(199)).toBe(1);
    expect(size(200)).toBe(2);
    expect(size(1000)).toBe(10);
    expect(size(1_000_000)).toBe(MAX_LEASE);
  });

  test("a small budget is exact: every request asks Redis, the one past the burst is refused", async () => {
    const leases = createRateLeases(r.redis);
    const limit: RateLimit = { requests: 3, perMs: 60_000, burst: 3 };
    const client = freshClient();
    const got = await Promise.all(Array.from({ length: 5 }, () => leases.take(client, limit)));
    expect(got.filter((d) => d.allowed).length).toBe(3);
    // Three intervals used in Redis, no more: nothing was taken ahead.
    expect(await usedUs(client)).toBeGreaterThan(2 * intervalMicros(limit));
  });

  test("a large budget under concurrency: the whole burst is used, not one request more", async () => {
    const leases = createRateLeases(r.redis);
    // 1000 at once, refilling one every 10 s: within the test only the burst is there.
    const limit: RateLimit = { requests: 1000, perMs: 10_000_000, burst: 1000 };
    const k = leaseSize(limit);
    expect(k).toBe(10);
    const client = freshClient();
    const got = await Promise.all(Array.from({ length: 1200 }, () => leases.take(client, limit)));
    const allowed = got.filter((d) => d.allowed).length;
    // The whole burst is used (no lease left half-used while others were refused), and not one more.
    expect(allowed).toBe(1000);
    expect(got.slice(-1)[0]?.allowed).toBe(false);
    // Redis's remaining count plus the lease is what the headers say.
    const remaining = got.filter((d) => d.allowed).map((d) => d.remaining);
    expect(Math.min(...remaining)).toBe(0);
    expect(Math.max(...remaining)).toBe(999);
  });

  test("what a lease brought is used before asking again; a lease unused for LEASE_MS is dropped", async () => {
    let now = 0;
    const leases = createRateLeases(r.redis, () => now);
    // A slow refill (one every 2 s), so the bucket does not drain noticeably while the test runs.
    const limit: RateLimit = { requests: 5000, perMs: 10_000_000, burst: 5000 };
    const k = leaseSize(limit); // 50
    const client = freshClient();
    const interval = intervalMicros(limit);
    expect((await leases.take(client, limit)).allowed).toBe(true);
    // The first request took a whole lease from Redis.
    const afterFirst = await usedUs(client);
    expect(afterFirst).toBeGreaterThan((k - 2) * interval);
    // The next k - 1 come from it: Redis's bucket is not touched (its use only drains with time).
    for (let i = 1; i < k; i++) expect((await leases.take(client, limit)).allowed).toBe(true);
    expect(await usedUs(client)).toBeLessThanOrEqual(afterFirst);
    // One more asks Redis for a new lease.
    expect((await leases.take(client, limit)).allowed).toBe(true);
    const afterSecond = await usedUs(client);
    expect(afterSecond).toBeGreaterThan(afterFirst + (k - 2) * interval);
    // Left unused past LEASE_MS, the rest of that lease is not spent: the next request asks Redis.
    now += LEASE_MS;
    expect((await leases.take(client, limit)).allowed).toBe(true);
    expect(await usedUs(client)).toBeGreaterThan(afterSecond + (k - 2) * interval - 1_000_000);
  });

  test("a refusal of the lease holds for every request waiting on it", async () => {
    const leases = createRateLeases(r.redis);
    const limit: RateLimit = { requests: 200, perMs: 10_000_000, burst: 200 };
    const client = freshClient();
    // Spend the whole bucket directly, then ask through the leases, concurrently.
    expect((await takeTokens(r.redis, client, limit, 200)).granted).toBe(200);
    const got = await Promise.all(Array.from({ length: 20 }, () => leases.take(client, limit)));
    expect(got.every((d) => !d.allowed && d.waitUs > 0)).toBe(true);
  });
});
