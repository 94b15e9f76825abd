import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { Redis } from "ioredis";
import { createTestRedis, type TestRedis } from "../../tests/helpers/redis.ts";
import { checkEpoch, EPOCH_KEY } from "./redis-epoch.ts";

// The epoch against real Redis: the one signal that Redis lost its data. Exactly one scheduler
// must see `created` per lost life, or either nobody rebuilds the queues or everybody does.
let r: TestRedis;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

beforeAll(async () => {
  r = await createTestRedis();
});
afterAll(async () => {
  await r.cleanup();
});
beforeEach(async () => {
  await r.redis.del(EPOCH_KEY);
});

describe("checkEpoch", () => {
  test("the key is meta:epoch, as docs/design.md names it", () => {
    expect(EPOCH_KEY).toBe("meta:epoch");
  });

  test("a missing epoch is written (a fresh UUID) and reported as created", async () => {
    const first = await checkEpoch(r.redis);
    expect(first.created).toBe(true);
    expect(first.epoch).toMatch(UUID);
    expect(await r.redis.get("meta:epoch")).toBe(first.epoch);
  });

  test("an epoch already there is adopted, never rewritten, and not created", async () => {
    await r.redis.set(EPOCH_KEY, "the-old-life");
    for (let i = 0; i < 3; i++) {
      expect(await checkEpoch(r.redis)).toEqual({ epoch: "the-old-life", created: false });
    }
    expect(await r.redis.get(EPOCH_KEY)).toBe("the-old-life");
  });

  test("after the data is lost a new epoch is created once, then seen as the same", async () => {
    const before = await checkEpoch(r.redis);
    await r.redis.del(EPOCH_KEY); // what a FLUSHALL does to our namespace
    const after = await checkEpoch(r.redis);
    expect(after.created).toBe(true);
    expect(after.epoch).not.toBe(before.epoch);
    expect(await checkEpoch(r.redis)).toEqual({ epoch: after.epoch, created: false });
  });

  test("schedulers racing on an empty Redis: exactly one creates, all agree on its epoch", async () => {
    const schedulers: Redis[] = await Promise.all(Array.from({ length: 6 }, () => r.connect()));
    for (let round = 0; round < 20; round++) {
      await r.redis.del(EPOCH_KEY);
      const seen = await Promise.all(schedulers.map((s) => checkEpoch(s)));
      expect(seen.filter((s) => s.created)).toHaveLength(1);
      const stored = (await r.redis.get(EPOCH_KEY)) ?? "";
      expect(stored).toMatch(UUID);
      expect(new Set(seen.map((s) => s.epoch))).toEqual(new Set([stored]));
    }
  });
});
