import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { asInteger } from "../queue/commands.ts";
import { queueKeys } from "../queue/keys.ts";
import { defineScripts } from "../redis/scripts.ts";
import { WEBHOOK_QUEUE } from "./delivery-job.ts";
import acquireSlotLua from "./lua/acquire-slot.lua" with { type: "text" };

/** `queue:webhooks:inflight:<sha256(url), 16 hex>`: the holders of one endpoint's slots. */
export const endpointSlotsKey = (url: string) =>
  `${queueKeys(WEBHOOK_QUEUE).queue}:inflight:${createHash("sha256").update(url).digest("hex").slice(0, 16)}`;

/** The slot script on a connection (lib/redis/scripts.ts). */
const scripts = defineScripts({ whAcquireSlot: [acquireSlotLua, 1] });

/** Takes a slot of `url` for `holder` (acquire-slot.lua); false when all `limit` are held. */
export async function acquireEndpointSlot(
  redis: Redis,
  url: string,
  limit: number,
  holder: string,
  ttlMs: number,
): Promise<boolean> {
  const reply = await scripts(redis).whAcquireSlot(endpointSlotsKey(url), limit, holder, ttlMs);
  return asInteger(reply) === 1;
}

/** Gives the slot back (a single ZREM; a lost release only waits for the hold's TTL). */
export async function releaseEndpointSlot(redis: Redis, url: string, holder: string): Promise<void> {
  await redis.zrem(endpointSlotsKey(url), holder);
}
