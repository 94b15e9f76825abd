import { AppError } from "../errors/app-error.ts";
import type { ProviderError } from "../providers/types.ts";
import { type BackoffOptions, backoffDelayMs } from "../queue/backoff.ts";

/** The job is done with, without success: the queue dead-letters it (the row is already final). */
export class GiveUpError extends AppError {
  readonly code = "give_up";
  readonly retryable = false;
}

/** The error_details / revocation_error stored on a row: the provider's own code and message. */
export function errorDetails(
  err: ProviderError,
  provider: string,
  attempts: number,
): Record<string, unknown> {
  return {
    code: err.providerCode,
    message: err.providerMessage,
    provider,
    http_status: err.httpStatus ?? null,
    retryable: err.retryable,
    attempts,
    ...(err.retryAfterMs === undefined ? {} : { retry_after_ms: err.retryAfterMs }),
  };
}

/**
 * How long to wait before trying again after attempt `attempt` (0-based) failed with `err`:
 * exponential backoff with jitter, never shorter than the cloud's own Retry-After, and never past
 * `notAfterMs` when given (a grant retries no later than its end, so an expiry that passes during
 * a long backoff is acted on at once).
 */
export function retryDelayMs(
  attempt: number,
  backoff: BackoffOptions,
  err: ProviderError,
  notAfterMs?: number | null,
): number {
  const delay = Math.max(backoffDelayMs(attempt, backoff), err.retryAfterMs ?? 0);
  return notAfterMs === undefined || notAfterMs === null ? delay : Math.max(0, Math.min(delay, notAfterMs));
}
