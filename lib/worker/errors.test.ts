import { describe, expect, test } from "bun:test";
import { ProviderError } from "../providers/types.ts";
import { errorDetails, GiveUpError, retryDelayMs } from "./errors.ts";

// What the worker stores about a cloud error, how long it waits before trying again, and what the
// queue reads off a job it gives up on. Pure functions: no infrastructure.
const throttled = new ProviderError({
  code: "provider_transient",
  retryable: true,
  providerCode: "Throttling",
  providerMessage: "Rate exceeded",
  httpStatus: 429,
  retryAfterMs: 3000,
});
const unreachable = new ProviderError({
  code: "provider_transient",
  retryable: true,
  providerCode: "ECONNRESET",
  providerMessage: "socket hang up",
});
const backoff = { baseMs: 1000, maxMs: 8000 };

describe("errorDetails", () => {
  test("keeps the cloud's code, message, HTTP status and Retry-After", () => {
    expect(errorDetails(throttled, "aws", 2)).toEqual({
      code: "Throttling",
      message: "Rate exceeded",
      provider: "aws",
      http_status: 429,
      retryable: true,
      attempts: 2,
      retry_after_ms: 3000,
    });
  });

  test("an error that never got an HTTP answer: status null, and no Retry-After key", () => {
    const details = errorDetails(unreachable, "azure", 1);
    expect(details).toEqual({
      code: "ECONNRESET",
      message: "socket hang up",
      provider: "azure",
      http_status: null,
      retryable: true,
      attempts: 1,
    });
    expect(Object.keys(details)).not.toContain("retry_after_ms");
  });
});

describe("retryDelayMs", () => {
  test("never shorter than the cloud's Retry-After", () => {
    expect(retryDelayMs(0, backoff, throttled)).toBe(3000); // backoff alone: 500..1000 ms
  });

  test("within a grant's remaining time the backoff is kept; past it, the wait ends at the grant's end", () => {
    const delay = retryDelayMs(2, backoff, unreachable, 60_000); // backoff: 2000..4000 ms
    expect(delay).toBeGreaterThanOrEqual(2000);
    expect(delay).toBeLessThanOrEqual(4000);
    expect(retryDelayMs(2, backoff, throttled, 1500)).toBe(1500);
    expect(retryDelayMs(2, backoff, throttled, -500)).toBe(0); // its end already passed: at once
  });
});

test("a job given up on is not retryable: the queue dead-letters it at once, under the code give_up", () => {
  const err = new GiveUpError("request failed: AccessDenied");
  expect(err.retryable).toBe(false);
  expect(err.code).toBe("give_up");
});
