import type { Redis } from "ioredis";
import { asInteger, queueScripts } from "./commands.ts";
import { queueKeys } from "./keys.ts";

/**
 * Marks workers alive in `queue:<p>:workers` (ZADD, one call for all of a process's workers),
 * stamped by the Redis server clock, which the reaper reads too: host clock skew cannot make a
 * live worker look dead. Returns the stamp, ms.
 */
export async function heartbeat(
  redis: Redis,
  provider: string,
  workerIds: readonly string[],
): Promise<number> {
  return asInteger(await queueScripts(redis).qHeartbeat(queueKeys(provider).workers, ...workerIds));
}

/**
 * On a clean stop: forgets a worker that holds no job. One still holding jobs stays listed so
 * the reaper returns them once its heartbeat is stale. True when removed.
 */
export async function deregisterWorker(redis: Redis, provider: string, workerId: string): Promise<boolean> {
  const keys = queueKeys(provider);
  return (
    asInteger(
      await queueScripts(redis).qDeregisterWorker(keys.workers, keys.processing(workerId), workerId),
    ) === 1
  );
}
