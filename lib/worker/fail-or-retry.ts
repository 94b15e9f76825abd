import { type ClaimedRow, markFailed, recordRetry } from "../db/transitions.ts";
import type { Logger } from "../logging/logger.ts";
import { ProviderError } from "../providers/types.ts";
import type { Job } from "../queue/job.ts";
import { RetryJobError } from "../queue/retry-job-error.ts";
import { afterChange } from "./after-change.ts";
import { errorDetails, GiveUpError, retryDelayMs } from "./errors.ts";
import type { WorkerDeps } from "./worker-deps.ts";

/**
 * Only the cloud's verdict can fail a request. Anything else (PostgreSQL or Redis down, a bug)
 * is rethrown as is: the queue retries it and, past its attempts, dead-letters the job, and the
 * reconciler queues the still-unfinished row again later. A database blip never marks FAILED.
 */
export function rethrowUnlessProviderError(
  err: unknown,
  log: Logger,
  job: Job,
): asserts err is ProviderError {
  if (err instanceof ProviderError) return;
  log.warn({ err, attempt: job.attempt }, "infrastructure failure; the job will be retried");
  throw err;
}

/**
 * A classified cloud failure of a grant or revoke request; throws what the queue acts on.
 * Transient with attempts left: retry
 * after a backoff that honours Retry-After and never reaches past the grant's end. Otherwise
 * FAILED with the cloud's code and message; a grant's open obligation is kept and its revocation
 * (the compensation: the cloud may have applied the access whatever it answered) is due now.
 */
export async function failOrRetry(
  deps: WorkerDeps,
  log: Logger,
  job: Job,
  row: ClaimedRow,
  err: unknown,
): Promise<void> {
  rethrowUnlessProviderError(err, log, job);
  const details = errorDetails(err, row.cloud_provider, job.attempt + 1);
  if (err.retryable && job.attempt + 1 < deps.maxAttempts) {
    const delayMs = retryDelayMs(job.attempt, deps.backoff, err, row.ms_left);
    const held = await recordRetry(deps.sql, row.correlation_id, job.id, delayMs + deps.leaseMs, {
      ...details,
      delay_ms: delayMs,
      chain: job.id,
    });
    if (!held) {
      // The reconciler gave the row to a new job meanwhile: that chain carries on, this one ends.
      log.warn({ err }, "transient failure, and the request was given to another job meanwhile; stopping");
      return;
    }
    log.warn({ err, attempt: job.attempt, delay_ms: delayMs }, "transient failure; will retry");
    throw new RetryJobError(String(details.code), delayMs, { cause: err });
  }
  const failed = await markFailed(deps.sql, row.correlation_id, details, job.id);
  await afterChange(deps, row, failed?.revocation_status === "SCHEDULED" ? failed.revoke_at : null);
  log.error(
    {
      err,
      attempt: job.attempt,
      error_details: details,
      obligation: failed?.revocation_status === "SCHEDULED",
    },
    "request failed",
  );
  throw new GiveUpError(`request failed: ${String(details.code)}`, { cause: err });
}
