import type { Redis } from "ioredis";
import { isSettled, type StatusView } from "../requests/status-view.ts";

export interface CacheTtl {
  settledSeconds: number;
  movingSeconds: number;
}

/** Cache-aside key: the correlation id itself, as the seed says. */
export const statusCacheKey = (correlationId: string) => correlationId;

export async function getCachedStatus(redis: Redis, correlationId: string): Promise<StatusView | undefined> {
  const raw = await redis.get(statusCacheKey(correlationId));
  if (raw === null) return undefined;
  try {
    return JSON.parse(raw) as StatusView;
  } catch {
    return undefined; // a corrupt entry is a miss; the SET after the read replaces it
  }
}

export async function setCachedStatus(redis: Redis, view: StatusView, ttl: CacheTtl): Promise<void> {
  const seconds = isSettled(view) ? ttl.settledSeconds : ttl.movingSeconds;
  await redis.set(statusCacheKey(view.correlation_id), JSON.stringify(view), "EX", seconds);
}

/** Writers (workers, revoke) call this after every status change. */
export async function invalidateStatus(redis: Redis, correlationId: string): Promise<void> {
  await redis.del(statusCacheKey(correlationId));
}
