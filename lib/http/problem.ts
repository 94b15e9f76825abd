import { AppError } from "../errors/app-error.ts";
import {
  ConflictError,
  DependencyUnavailableError,
  type HttpError,
  IdempotencyConflictError,
  InvalidCursorError,
  InvalidIdError,
  MalformedJsonError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  PolicyDeniedError,
  RateLimitedError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from "../errors/http-errors.ts";
import type { Problem } from "../schemas/responses.ts";

/** RFC 9457 problem details, with our stable `type` per error code (lib/schemas/responses.ts). */
export type { Problem };

const typeUri = (code: string) => `https://csecbridge.dev/problems/${code}`;

const HTTP_ERRORS = [
  UnauthorizedError,
  MalformedJsonError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
  InvalidIdError,
  InvalidCursorError,
  NotFoundError,
  PolicyDeniedError,
  IdempotencyConflictError,
  ConflictError,
  MethodNotAllowedError,
  RateLimitedError,
  DependencyUnavailableError,
];

function isHttpError(err: unknown): err is HttpError {
  return err instanceof AppError && HTTP_ERRORS.some((cls) => err instanceof cls);
}

/** Status and title per code; the switch is exhaustive, so a new error class must be mapped here. */
function describe(err: HttpError): { status: number; title: string } {
  switch (err.code) {
    case "unauthorized":
      return { status: 401, title: "Unauthorized" };
    case "malformed_json":
      return { status: 400, title: "Malformed JSON" };
    case "payload_too_large":
      return { status: 413, title: "Payload too large" };
    case "unsupported_media_type":
      return { status: 415, title: "Unsupported media type" };
    case "validation_failed":
      return { status: 422, title: "Validation failed" };
    case "invalid_id":
      return { status: 400, title: "Invalid id" };
    case "invalid_cursor":
      return { status: 400, title: "Invalid cursor" };
    case "not_found":
      return { status: 404, title: "Not found" };
    case "forbidden_by_policy":
      return { status: 403, title: "Forbidden by policy" };
    case "idempotency_conflict":
      return { status: 409, title: "Idempotency key reused with another body" };
    case "conflict":
      return { status: 409, title: "Conflict" };
    case "method_not_allowed":
      return { status: 405, title: "Method not allowed" };
    case "rate_limited":
      return { status: 429, title: "Too many requests" };
    case "dependency_unavailable":
      return { status: 503, title: "Service unavailable" };
  }
}

/** Maps any thrown value to a problem. Unknown errors become a generic 500 that reveals nothing. */
export function toProblem(err: unknown): Problem {
  if (!isHttpError(err)) {
    return {
      type: typeUri("internal"),
      title: "Internal error",
      status: 500,
      detail: "an unexpected error occurred; it has been logged",
      code: "internal",
    };
  }
  const { status, title } = describe(err);
  const problem: Problem = { type: typeUri(err.code), title, status, detail: err.message, code: err.code };
  if (err instanceof ValidationError) problem.errors = err.issues;
  if (err instanceof PolicyDeniedError) problem.rule = err.rule;
  return problem;
}

/** Headers a problem needs besides its body (RFC 9110 / 6750 / the rate-limit draft). */
export function problemHeaders(
  err: unknown,
  problem: Problem,
  retryAfterSeconds: number,
): Record<string, string> {
  const headers: Record<string, string> = {};
  if (problem.status === 503) headers["retry-after"] = String(retryAfterSeconds);
  if (problem.status === 401) headers["www-authenticate"] = 'Bearer realm="csecbridge"';
  if (err instanceof MethodNotAllowedError) headers.allow = err.allow.join(", ");
  if (err instanceof RateLimitedError) Object.assign(headers, err.headers);
  return headers;
}

export function problemResponse(problem: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { "content-type": "application/problem+json", ...headers },
  });
}
