import { describe, expect, test } from "bun:test";
import type { Policy } from "../policy/schema.ts";
import { rateLimitHeaders } from "./headers.ts";
import { DEFAULT_RATE_LIMIT, intervalMicros, rateLimitFor } from "./limits.ts";

describe("rateLimitFor", () => {
  const policy: Policy = {
    rate_limit: { requests: 60, per: "PT1M" },
    clients: { own: { rate_limit: { requests: 10, per: "PT1S", burst: 2 } }, plain: {} },
  };

  test("the client's own limit, else the file's, else the fallback", () => {
    expect(rateLimitFor(policy, "own")).toEqual({ requests: 10, perMs: 1000, burst: 2 });
    expect(rateLimitFor(policy, "plain")).toEqual({ requests: 60, perMs: 60_000, burst: 60 });
    expect(rateLimitFor(policy, "unlisted")).toEqual({ requests: 60, perMs: 60_000, burst: 60 });
    expect(rateLimitFor({ clients: {} }, "x")).toBe(DEFAULT_RATE_LIMIT);
    expect(rateLimitFor(null, "x")).toBe(DEFAULT_RATE_LIMIT);
    expect(rateLimitFor({ clients: {} }, "constructor")).toBe(DEFAULT_RATE_LIMIT);
  });

  test("the interval is whole microseconds, at least one", () => {
    expect(intervalMicros({ requests: 3, perMs: 1000, burst: 1 })).toBe(333_333);
    expect(intervalMicros({ requests: 1_000_000, perMs: 1000, burst: 1 })).toBe(1);
  });
});

describe("rateLimitHeaders (draft-ietf-httpapi-ratelimit-headers-12)", () => {
  const limit = { requests: 100, perMs: 60_000, burst: 20 };

  test("within the limit: policy and remaining, no Retry-After", () => {
    expect(rateLimitHeaders({ allowed: true, remaining: 19, waitUs: 600_000, nowUs: 0 }, limit)).toEqual({
      "ratelimit-policy": '"client";q=100;w=60',
      ratelimit: '"client";r=19;t=1',
    });
  });

  test("refused: Retry-After in whole seconds, rounded up, never 0", () => {
    expect(rateLimitHeaders({ allowed: false, remaining: 0, waitUs: 2_000_001, nowUs: 0 }, limit)).toEqual({
      "ratelimit-policy": '"client";q=100;w=60',
      ratelimit: '"client";r=0;t=3',
      "retry-after": "3",
    });
    expect(
      rateLimitHeaders({ allowed: false, remaining: 0, waitUs: 10, nowUs: 0 }, limit)["retry-after"],
    ).toBe("1");
  });
});
