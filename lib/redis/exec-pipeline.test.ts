import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestRedis, type TestRedis } from "../../tests/helpers/redis.ts";
import { execOrThrow } from "./exec-pipeline.ts";

let r: TestRedis;
beforeAll(async () => {
  r = await createTestRedis();
});
afterAll(async () => {
  await r.cleanup();
});

describe("execOrThrow", () => {
  test("returns every reply in order when all commands succeed", async () => {
    await r.redis.del("list", "n");
    expect(await execOrThrow(r.redis.pipeline().lpush("list", "a").lpush("list", "b").incr("n"))).toEqual([
      1, 2, 1,
    ]);
  });

  test("a refused command fails the whole call, though the others ran (a pipeline is not atomic)", async () => {
    await r.redis.set("not-a-list", "x");
    await r.redis.del("ok");
    await expect(execOrThrow(r.redis.pipeline().incr("ok").lpush("not-a-list", "j"))).rejects.toThrow(
      /WRONGTYPE/,
    );
    expect(await r.redis.get("ok")).toBe("1");
  });

  test("an empty pipeline is no work and no error", async () => {
    expect(await execOrThrow(r.redis.pipeline())).toEqual([]);
  });
});
