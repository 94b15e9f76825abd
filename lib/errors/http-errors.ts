import { AppError } from "./app-error.ts";

/** One failing location of a validation error (RFC 9457 style: a JSON Pointer into the body). */
export interface FieldIssue {
  pointer: string;
  detail: string;
}

export class UnauthorizedError extends AppError {
  readonly code = "unauthorized";
  readonly retryable = false;
}

export class MalformedJsonError extends AppError {
  readonly code = "malformed_json";
  readonly retryable = false;
}

export class PayloadTooLargeError extends AppError {
  readonly code = "payload_too_large";
  readonly retryable = false;
}

export class UnsupportedMediaTypeError extends AppError {
  readonly code = "unsupported_media_type";
  readonly retryable = false;
}

export class ValidationError extends AppError {
  readonly code = "validation_failed";
  readonly retryable = false;
  constructor(
    message: string,
    readonly issues: FieldIssue[],
  ) {
    super(message);
  }
}

export class InvalidIdError extends AppError {
  readonly code = "invalid_id";
  readonly retryable = false;
}

/** A pagination cursor that is not one we issued (garbage, truncated, edited). */
export class InvalidCursorError extends AppError {
  readonly code = "invalid_cursor";
  readonly retryable = false;
}

export class NotFoundError extends AppError {
  readonly code = "not_found";
  readonly retryable = false;
}

export class PolicyDeniedError extends AppError {
  readonly code = "forbidden_by_policy";
  readonly retryable = false;
  constructor(
    message: string,
    /** The guardrail that refused, e.g. `providers`, `aws.policy_arns`, `max_duration`. */
    readonly rule: string,
  ) {
    super(message);
  }
}

export class IdempotencyConflictError extends AppError {
  readonly code = "idempotency_conflict";
  readonly retryable = false;
}

export class ConflictError extends AppError {
  readonly code = "conflict";
  readonly retryable = false;
}

export class MethodNotAllowedError extends AppError {
  readonly code = "method_not_allowed";
  readonly retryable = false;
  constructor(
    message: string,
    /** The methods the path does answer, for the Allow header. */
    readonly allow: readonly string[],
  ) {
    super(message);
  }
}

export class RateLimitedError extends AppError {
  readonly code = "rate_limited";
  readonly retryable = true;
  constructor(
    message: string,
    /** Retry-After and the RateLimit fields for the 429 (lib/ratelimit/headers.ts). */
    readonly headers: Readonly<Record<string, string>>,
  ) {
    super(message);
  }
}

export class DependencyUnavailableError extends AppError {
  readonly code = "dependency_unavailable";
  readonly retryable = true;
  constructor(
    readonly dependency: "postgres" | "redis",
    options?: { cause?: unknown },
  ) {
    super(`${dependency} is unavailable`, options);
  }
}

export type HttpError =
  | UnauthorizedError
  | MalformedJsonError
  | PayloadTooLargeError
  | UnsupportedMediaTypeError
  | ValidationError
  | InvalidIdError
  | InvalidCursorError
  | NotFoundError
  | PolicyDeniedError
  | IdempotencyConflictError
  | ConflictError
  | MethodNotAllowedError
  | RateLimitedError
  | DependencyUnavailableError;
