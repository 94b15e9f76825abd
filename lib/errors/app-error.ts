/**
 * Base class of every error we throw on purpose. `code` is stable (clients and dashboards
 * match on it); `retryable` tells queues and callers whether trying again can help.
 */
export abstract class AppError extends Error {
  abstract readonly code: string;
  abstract readonly retryable: boolean;
}

/** Coerce anything thrown into an Error without losing it. */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === "string" ? thrown : `non-error thrown: ${safeString(thrown)}`, {
    cause: thrown,
  });
}

function safeString(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
