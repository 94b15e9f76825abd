import type { Redis } from "ioredis";
import type { Logger } from "../logging/logger.ts";

/**
 * Queues live in Redis: with any eviction policy but noeviction, Redis may silently drop jobs
 * under memory pressure. Warn loudly at start (DESIGN.md pitfalls); never fail the start.
 */
export async function warnUnlessNoEviction(redis: Redis, log: Logger): Promise<void> {
  try {
    const reply = (await redis.call("CONFIG", "GET", "maxmemory-policy")) as string[];
    const policy = reply[1];
    if (policy !== undefined && policy !== "noeviction") {
      log.warn(
        { maxmemory_policy: policy },
        "REDIS maxmemory-policy IS NOT noeviction: queued jobs can be evicted and lost; set maxmemory-policy noeviction",
      );
    }
  } catch (err) {
    // Managed Redis often disables CONFIG; say we could not check rather than guess.
    log.warn({ err }, "could not read Redis maxmemory-policy; make sure it is noeviction");
  }
}
