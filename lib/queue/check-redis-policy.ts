import type { Redis } from "ioredis";
import type { Logger } from "../logging/logger.ts";

/**
 * Jobs live in Redis: under any maxmemory-policy but noeviction, Redis may silently evict queue
 * keys when memory runs short, losing jobs. Says so loudly at start; never stops the start.
 * Reads INFO (not CONFIG GET), which managed Redis services that disable CONFIG still answer.
 * Returns the policy, or null when it could not be read.
 */
export async function checkRedisPolicy(redis: Redis, log: Logger): Promise<string | null> {
  let policy: string | null = null;
  try {
    const info = await redis.info("memory");
    // Stryker disable next-line Regex: INFO has one maxmemory_policy line, so the anchor changes nothing
    policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? null;
    // Stryker disable next-line BlockStatement: without it the null policy takes the next branch: the same null and a warning worded otherwise
  } catch (err) {
    log.warn(
      { err },
      "could not read Redis maxmemory-policy; it must be noeviction or queued jobs can be lost",
    );
    return null;
  }
  if (policy === null) {
    log.warn("Redis did not report maxmemory-policy; it must be noeviction or queued jobs can be lost");
  } else if (policy !== "noeviction") {
    log.error(
      { maxmemory_policy: policy },
      `REDIS maxmemory-policy IS ${policy}, NOT noeviction: Redis may evict queued jobs and they would be LOST. Set maxmemory-policy noeviction.`,
    );
  }
  return policy;
}
