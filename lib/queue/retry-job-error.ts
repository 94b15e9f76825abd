import { AppError } from "../errors/app-error.ts";

/**
 * Thrown by a job handler that has decided itself that the job runs again after `delayMs`,
 * whatever its attempt count: the queue only carries it out. The worker uses it to retry
 * revocations without end and to honour a cloud's Retry-After.
 */
export class RetryJobError extends AppError {
  readonly code = "retry_job";
  readonly retryable = true;
  constructor(
    message: string,
    readonly delayMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
