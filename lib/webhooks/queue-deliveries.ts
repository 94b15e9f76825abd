import type { Redis } from "ioredis";
import { queueKeys } from "../queue/keys.ts";
import { execOrThrow } from "../redis/exec-pipeline.ts";
import { type DeliveryRef, deliveryJob, WEBHOOK_QUEUE } from "./delivery-job.ts";

/** LPUSHes one job per delivery onto `queue:webhooks`, in one pipeline. */
export async function queueDeliveries(redis: Redis, refs: readonly DeliveryRef[]): Promise<void> {
  if (refs.length === 0) return;
  const now = Date.now();
  const p = redis.pipeline();
  for (const ref of refs) p.lpush(queueKeys(WEBHOOK_QUEUE).queue, JSON.stringify(deliveryJob(ref, now)));
  await execOrThrow(p);
}
