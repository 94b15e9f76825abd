import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";

/** A key written once per Redis "life": gone means Redis lost its data (restart without
 *  persistence, FLUSHALL, a failover to an empty replica). */
export const EPOCH_KEY = "meta:epoch";

export interface EpochCheck {
  epoch: string;
  /** This call wrote the epoch: it was missing, so Redis is new or lost its data. */
  created: boolean;
}

/**
 * Reads the epoch, writing a new one when it is missing (SET NX: with several schedulers one
 * writes, the others adopt it). Only the scheduler that wrote the new epoch gets `created`, so
 * one of them rebuilds.
 */
export async function checkEpoch(redis: Redis): Promise<EpochCheck> {
  const current = await redis.get(EPOCH_KEY);
  if (current !== null) return { epoch: current, created: false };
  const fresh = randomUUID();
  const set = await redis.set(EPOCH_KEY, fresh, "NX");
  if (set === "OK") return { epoch: fresh, created: true };
  // Another scheduler wrote it between our GET and SET: adopt theirs.
  return { epoch: (await redis.get(EPOCH_KEY)) ?? fresh, created: false };
}
