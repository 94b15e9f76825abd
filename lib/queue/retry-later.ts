import type { Redis } from "ioredis";
import { type BackoffOptions, backoffDelayMs, DEFAULT_BACKOFF } from "./backoff.ts";
import { asInteger, queueScripts, ScriptCode } from "./commands.ts";
import type { Job } from "./job.ts";
import { queueKeys } from "./keys.ts";

export interface RetryLaterArgs {
  workerId: string;
  /** The job exactly as claimed. */
  raw: string;
  /** The parsed job; its next attempt is written as a new string. */
  job: Job;
  now: number;
  backoff?: BackoffOptions;
  random?: () => number;
}

export interface RetryLaterResult {
  /** False when the worker no longer held the job: nothing was written, so it is not duplicated. */
  held: boolean;
  /** When the next attempt is due, ms. */
  dueAt: number;
}

/**
 * Moves a claimed job to `queue:<p>:delayed` with attempt + 1, due after an exponential backoff
 * with jitter; the claimed string leaves the processing list in the same script, so a crash
 * between the two steps can neither lose the job nor keep both copies.
 */
export async function retryLater(redis: Redis, args: RetryLaterArgs): Promise<RetryLaterResult> {
  const keys = queueKeys(args.job.provider);
  const dueAt = args.now + backoffDelayMs(args.job.attempt, args.backoff ?? DEFAULT_BACKOFF, args.random);
  const next = JSON.stringify({ ...args.job, attempt: args.job.attempt + 1 });
  const code = asInteger(
    await queueScripts(redis).qRetry(keys.processing(args.workerId), keys.delayed, args.raw, next, dueAt),
  );
  return { held: code !== ScriptCode.NotHeld, dueAt };
}
