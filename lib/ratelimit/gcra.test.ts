import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { createTestRedis, type TestRedis } from "../../tests/helpers/redis.ts";
import { intervalMicros, type RateLimit } from "./limits.ts";
import { type RateDecision, takeToken } from "./take.ts";

/**
 * The reference the script is held to: GCRA over explicit times (µs), as plainly as possible.
 * Returns the same four numbers as lua/gcra.lua.
 */
function referenceGcra(interval: number, burst: number) {
  let tat = 0;
  const tolerance = interval * (burst - 1);
  return (now: number): RateDecision => {
    const start = Math.max(tat, now);
    if (now < start - tolerance)
      return { allowed: false, remaining: 0, waitUs: start - tolerance - now, nowUs: now };
    tat = start + interval;
    const slack = now + tolerance - tat;
    const units = Math.floor(slack / interval);
    return { allowed: true, remaining: units + 1, waitUs: (units + 1) * interval - slack, nowUs: now };
  };
}

/** The budget: in any span [t_i, t_j] at most burst + (t_j - t_i) / interval allowed requests. */
function overBudget(allowedAt: readonly number[], interval: number, burst: number): string | undefined {
  const t = [...allowedAt].sort((a, b) => a - b);
  for (let i = 0; i < t.length; i++) {
    for (let j = i; j < t.length; j++) {
      const span = (t[j] as number) - (t[i] as number);
      if (j - i + 1 > burst + span / interval) return `${j - i + 1} allowed within ${span} µs`;
    }
  }
  return undefined;
}

describe("GCRA reference model", () => {
  test("never lets a client exceed its budget, and refuses only when allowing would", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 30_000 }), { maxLength: 200 }),
        (interval, burst, gaps) => {
          const take = referenceGcra(interval, burst);
          let now = 1_700_000_000_000_000;
          const allowed: number[] = [];
          for (const gap of gaps) {
            now += gap;
            const d = take(now);
            if (d.allowed) {
              allowed.push(now);
              expect(overBudget(allowed, interval, burst)).toBeUndefined();
            } else {
              // Liveness: the refused request would have broken the budget.
              expect(overBudget([...allowed, now], interval, burst)).toBeString();
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  test("a fresh client gets exactly `burst` at once, then one per interval", () => {
    const take = referenceGcra(1000, 3);
    const at = 5_000_000;
    expect([take(at), take(at), take(at), take(at)].map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ]);
    expect(take(at + 999).allowed).toBe(false);
    expect(take(at + 1000).allowed).toBe(true);
  });
});

describe("lua/gcra.lua on Redis", () => {
  let r: TestRedis;
  beforeAll(async () => {
    r = await createTestRedis();
  });
  afterAll(async () => {
    await r.cleanup();
  });

  let n = 0;
  const freshClient = () => `client-${++n}`;

  test("the first burst is allowed, the next refused with the wait; headers' numbers come from it", async () => {
    const limit: RateLimit = { requests: 3, perMs: 60_000, burst: 3 };
    const client = freshClient();
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await takeToken(r.redis, client, limit));
    expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ]);
    // One request comes back every 20 s: the refusal waits for it (less the time already gone by).
    const refusal = decisions[3] as RateDecision;
    const first = decisions[0] as RateDecision;
    expect(refusal.waitUs).toBe(20_000_000 - (refusal.nowUs - first.nowUs));
    // The key expires once the bucket would be full again: an idle client leaves nothing behind.
    const ttl = await r.redis.pttl(`ratelimit:${client}`);
    expect(ttl).toBeGreaterThan(30_000);
    expect(ttl).toBeLessThanOrEqual(60_001);
  });

  test("clients are independent: one at its limit does not touch another's budget", async () => {
    const limit: RateLimit = { requests: 1, perMs: 60_000, burst: 1 };
    const [a, b] = [freshClient(), freshClient()];
    expect((await takeToken(r.redis, a, limit)).allowed).toBe(true);
    expect((await takeToken(r.redis, a, limit)).allowed).toBe(false);
    expect((await takeToken(r.redis, b, limit)).allowed).toBe(true);
  });

  // The property of the issue: whatever the stream (sizes of concurrent bursts, limits), a client
  // never gets more than its budget. Checked on the decisions Redis took at the times Redis saw,
  // and the script must agree exactly with the reference model replayed at those times.
  test("property: random concurrent request streams never exceed the budget, and match the model", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 200, max: 20_000 }), // requests per second: intervals of 50 µs to 5 ms
        fc.integer({ min: 1, max: 15 }),
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 12 }),
        async (perSecond, burstCap, waves) => {
          const burst = Math.min(burstCap, perSecond);
          const limit: RateLimit = { requests: perSecond, perMs: 1000, burst };
          const client = freshClient();
          const decisions: RateDecision[] = [];
          for (const size of waves) {
            const wave = await Promise.all(
              Array.from({ length: size }, () => takeToken(r.redis, client, limit)),
            );
            decisions.push(...wave);
          }
          const interval = intervalMicros(limit);
          expect(
            overBudget(
              decisions.filter((d) => d.allowed).map((d) => d.nowUs),
              interval,
              burst,
            ),
          ).toBeUndefined();
          // Redis runs scripts one at a time; order them as it did (time, then allowed before
          // refused, then by what was left) and replay the model at the same instants.
          const ordered = [...decisions].sort(
            (x, y) => x.nowUs - y.nowUs || Number(y.allowed) - Number(x.allowed) || y.remaining - x.remaining,
          );
          const model = referenceGcra(interval, burst);
          for (const d of ordered) expect(d).toEqual(model(d.nowUs));
        },
      ),
      { numRuns: 60 },
    );
  });
});
