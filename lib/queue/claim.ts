import type { Redis } from "ioredis";
import { queueKeys } from "./keys.ts";

/**
 * Takes the oldest job of `queue:<p>` into the worker's own processing list (BLMOVE RIGHT → LEFT,
 * BRPOPLPUSH semantics) and returns it exactly as stored, or null when none came within
 * `blockMs`. Blocks the connection: give each concurrent claim its own, with a command timeout
 * longer than `blockMs`. The block is bounded so that a stopping consumer notices promptly.
 */
export async function claim(
  redis: Redis,
  provider: string,
  workerId: string,
  blockMs: number,
): Promise<string | null> {
  const keys = queueKeys(provider);
  return await redis.blmove(keys.queue, keys.processing(workerId), "RIGHT", "LEFT", blockMs / 1000);
}
