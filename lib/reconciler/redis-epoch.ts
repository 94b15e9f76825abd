import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";

/** A key written once per Redis "life": gone means Redis lost its data (restart without
 *  persistence, FLUSHALL, a failover to an empty replica). */
export const EPOCH_KEY = "meta:epoch";

export interface EpochCheck {
  epoch: string;
  /** The epoch is not the one last seen: Redis lost its data (or this is the first look). */
  changed: boolean;
}

/**
 * Reads the epoch, writing a new one when it is missing (SET NX: with several schedulers one
 * writes, the others adopt it). `changed` is true when the epoch differs from `lastSeen`; only the
 * scheduler that wrote the new epoch gets `created`, so one of them rebuilds.
 */
export async function checkEpoch(
  redis: Redis,
  lastSeen: string | undefined,
): Promise<EpochCheck & { created: boolean }> {
  const current = await redis.get(EPOCH_KEY);
  if (current !== null) return { epoch: current, changed: current !== lastSeen, created: false };
  const fresh = randomUUID();
  const set = await redis.set(EPOCH_KEY, fresh, "NX");
  if (set === "OK") return { epoch: fresh, changed: true, created: true };
  const winner = (await redis.get(EPOCH_KEY)) ?? fresh;
  return { epoch: winner, changed: winner !== lastSeen, created: false };
}
