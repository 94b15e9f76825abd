import type { Redis } from "ioredis";
import type { Job } from "./job.ts";
import { queueKeys } from "./keys.ts";

/** Producers LPUSH; consumers take from the right (BLMOVE RIGHT → LEFT), so the list is FIFO. */
export async function enqueue(redis: Redis, job: Job): Promise<void> {
  await redis.lpush(queueKeys(job.provider).queue, JSON.stringify(job));
}
