import type { Redis } from "ioredis";
import { asInteger, queueScripts } from "./commands.ts";
import { queueKeys } from "./keys.ts";

export interface TakeNextResult {
  /** The next job, exactly as stored, now in the worker's processing list; null if the queue was empty. */
  job: string | null;
  /** How many of the acked jobs the worker still held (fewer: the reaper took some meanwhile). */
  held: number;
}

/**
 * Acks `acks` (each exactly as claimed) and takes the next job without blocking, in one script:
 * one round trip per job while the queue has work. On an empty queue, block with `claim`.
 */
export async function takeNext(
  redis: Redis,
  provider: string,
  workerId: string,
  acks: readonly string[],
): Promise<TakeNextResult> {
  const keys = queueKeys(provider);
  const reply = await queueScripts(redis).qAckAndTake(keys.processing(workerId), keys.queue, ...acks);
  // Stryker disable next-line ConditionalExpression,StringLiteral: ack-and-take.lua never returns another shape; only a broken script reaches it
  if (!Array.isArray(reply) || reply.length !== 2) throw new Error("ack-and-take: unexpected reply");
  const [job, held] = reply as unknown[];
  // Stryker disable next-line StringLiteral: the message of an error only a broken script raises
  if (job !== null && typeof job !== "string") throw new Error("ack-and-take: unexpected job");
  return { job, held: asInteger(held) };
}
