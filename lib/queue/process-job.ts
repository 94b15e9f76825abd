import type { Redis } from "ioredis";
import { AppError, coerceError } from "../errors/app-error.ts";
import type { Logger } from "../logging/logger.ts";
import { type BackoffOptions, backoffDelayMs } from "./backoff.ts";
import { deadLetter } from "./dead-letter.ts";
import type { Job, QueueJob } from "./job.ts";
import type { JobObserver, JobResult } from "./job-observer.ts";
import type { JobParser } from "./parse-job.ts";
import { RetryJobError } from "./retry-job-error.ts";
import { retryLater } from "./retry-later.ts";

export interface JobContext {
  /** The job exactly as claimed. */
  raw: string;
  workerId: string;
  /** Aborts when the consumer's stop deadline passes: finish or give up quickly. */
  signal: AbortSignal;
  /** A child logger with job_id, correlation_id, provider and attempt. */
  readonly log: Logger;
}

/**
 * Does the work of one job. Resolve when done; throw to fail. A RetryJobError says exactly when to
 * run it again (the handler decided, attempts do not count); any other AppError says by its
 * `retryable` whether trying again can help; anything else is taken as retryable (an unknown
 * error is more often a glitch than a verdict, and attempts are bounded).
 */
export type JobHandler<T extends QueueJob = Job> = (job: T, ctx: JobContext) => Promise<void>;

export interface ProcessJobDeps<T extends QueueJob = Job> {
  /** The slot's connection: the retry and dead-letter scripts run on it. */
  redis: Redis;
  provider: string;
  workerId: string;
  handler: JobHandler<T>;
  /** Turns a claimed string into a job of this queue (what it refuses is dead-lettered at once). */
  parse: JobParser<T>;
  log: Logger;
  maxAttempts: number;
  backoff: BackoffOptions;
  /** When a job dies, ms; only written into dead-list entries. */
  clock: () => number;
  signal: AbortSignal;
  /** Told how each job was settled (metrics); optional. */
  observer?: JobObserver;
}

/** "ack": the handler succeeded and the caller must ack `raw`; "settled": the job already left the processing list. */
export type JobOutcome = "ack" | "settled";

/** Runs one claimed job and settles a failure (retry or dead-letter) atomically in Redis. */
export async function processJob<T extends QueueJob>(
  deps: ProcessJobDeps<T>,
  raw: string,
): Promise<JobOutcome> {
  const started = performance.now();
  const parsed = deps.parse(raw);
  const settled = (result: JobResult) =>
    deps.observer?.jobSettled(
      deps.provider,
      parsed.ok ? kindOf(parsed.job) : "unknown",
      result,
      (performance.now() - started) / 1000,
    );
  if (!parsed.ok) {
    settled("dead");
    return await sendToDead(deps, raw, parsed.reason, deps.log);
  }
  const job = parsed.job;
  let jobLog: Logger | undefined;
  // Built only when something logs: a child logger per job costs more than a no-op job.
  const logOf = () => {
    jobLog ??= deps.log.child({
      job_id: job.id,
      correlation_id: job.correlation_id,
      provider: job.provider,
      attempt: job.attempt,
    });
    return jobLog;
  };
  if (job.provider !== deps.provider) {
    settled("dead");
    return await sendToDead(
      deps,
      raw,
      `wrong queue: a ${job.provider} job in queue:${deps.provider}`,
      logOf(),
    );
  }

  try {
    await deps.handler(job, {
      raw,
      workerId: deps.workerId,
      signal: deps.signal,
      get log() {
        return logOf();
      },
    });
    settled("done");
    return "ack";
  } catch (thrown) {
    const err = coerceError(thrown);
    const retryable = err instanceof AppError ? err.retryable : true;
    const what = err instanceof AppError ? `${err.code}: ${err.message}` : err.message;
    const decided = err instanceof RetryJobError;
    if (decided || (retryable && job.attempt + 1 < deps.maxAttempts)) {
      const { held, dueAt } = await retryLater(deps.redis, {
        workerId: deps.workerId,
        raw,
        job,
        delayMs: decided ? err.delayMs : backoffDelayMs(job.attempt, deps.backoff),
      });
      if (held) {
        logOf().warn({ err, due_at: new Date(dueAt).toISOString() }, "job failed; retry scheduled");
      } else {
        logOf().warn(
          { err },
          "job failed, but the reaper had already returned it to the queue; not retried twice",
        );
      }
      settled("retried");
      return "settled";
    }
    settled("dead");
    const reason = retryable
      ? `exhausted ${deps.maxAttempts} attempts; last error: ${what}`
      : `permanent error: ${what}`;
    return await sendToDead(deps, raw, reason, logOf(), err);
  }
}

/** A provider job's kind (grant, revoke, check); a queue whose jobs have none is named by itself. */
function kindOf(job: QueueJob): string {
  const kind = (job as { kind?: unknown }).kind;
  return typeof kind === "string" ? kind : job.provider;
}

async function sendToDead<T extends QueueJob>(
  deps: ProcessJobDeps<T>,
  raw: string,
  reason: string,
  log: Logger,
  err?: Error,
): Promise<JobOutcome> {
  const held = await deadLetter(deps.redis, {
    provider: deps.provider,
    workerId: deps.workerId,
    raw,
    reason,
    now: deps.clock(),
  });
  if (held) log.error({ err, reason }, "job dead-lettered");
  else log.warn({ reason }, "job to dead-letter was already returned to the queue by the reaper");
  return "settled";
}
