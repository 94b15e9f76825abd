import { AppError } from "../errors/app-error.ts";
import type { ProviderError } from "../providers/types.ts";

/** A transient failure the queue should retry later (the row stays PROCESSING meanwhile). */
export class RetryLaterError extends AppError {
  readonly code = "retry_later";
  readonly retryable = true;
}

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
  };
}
