import type { Redis } from "ioredis";

/** The Redis server's clock, ms: the one heartbeats are stamped with. */
export async function redisTimeMs(redis: Redis): Promise<number> {
  const [sec, usec] = await redis.time();
  return Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
}
