import type { Redis } from "ioredis";
import { asInteger, queueScripts, ScriptCode } from "./commands.ts";
import type { QueueJob } from "./job.ts";
import { queueKeys } from "./keys.ts";

export interface RetryLaterArgs {
  workerId: string;
  /** The job exactly as claimed. */
  raw: string;
  /** The parsed job; its next attempt is written as a new string. */
  job: QueueJob;
  /** How long to wait before the next attempt, ms. */
  delayMs: number;
}

export interface RetryLaterResult {
  /** False when the worker no longer held the job: nothing was written, so it is not duplicated. */
  held: boolean;
  /** When the next attempt is due, ms on the Redis clock (0 when not held). */
  dueAt: number;
}

/**
 * Moves a claimed job to `queue:<p>:delayed` with attempt + 1, due `delayMs` from now on the
 * Redis clock; the claimed string leaves the processing list in the same script, so a crash
 * between the two steps can neither lose the job nor keep both copies.
 */
export async function retryLater(redis: Redis, args: RetryLaterArgs): Promise<RetryLaterResult> {
  const keys = queueKeys(args.job.provider);
  const next = JSON.stringify({ ...args.job, attempt: args.job.attempt + 1 });
  const reply = asInteger(
    await queueScripts(redis).qRetry(
      keys.processing(args.workerId),
      keys.delayed,
      args.raw,
      next,
      Math.max(0, Math.round(args.delayMs)),
    ),
  );
  return reply === ScriptCode.NotHeld ? { held: false, dueAt: 0 } : { held: true, dueAt: reply };
}
