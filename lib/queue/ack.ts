import type { Redis } from "ioredis";
import { queueKeys } from "./keys.ts";

/**
 * Done with a job: removes it from the worker's processing list. `raw` must be the string exactly
 * as claimed (LREM matches bytes; a re-serialised job would not match and would stay held).
 * Searches from the tail, where the oldest claims are. False when the worker no longer held it
 * (the reaper returned it to the queue while this worker looked dead).
 */
export async function ack(redis: Redis, provider: string, workerId: string, raw: string): Promise<boolean> {
  // Stryker disable next-line UnaryOperator: which end LREM searches from: two equal strings in one list are the same job
  return (await redis.lrem(queueKeys(provider).processing(workerId), -1, raw)) > 0;
}
