import type { MiddlewareHandler } from "hono";
import type { Redis } from "ioredis";
import { RateLimitedError } from "../../errors/http-errors.ts";
import type { Logger } from "../../logging/logger.ts";
import { rateLimitHeaders } from "../../ratelimit/headers.ts";
import type { RateLimit } from "../../ratelimit/limits.ts";
import { type RateDecision, takeToken } from "../../ratelimit/take.ts";
import { isRedisReady } from "../../redis/connect.ts";
import { guarded } from "../dependency.ts";

export interface RateLimitDeps {
  redis: Redis;
  log: Logger;
  limitFor: (client: string) => RateLimit;
  redisTimeoutMs: number;
}

/**
 * Per-client rate limit, right after authentication and before the body is read or anything is
 * written: one Redis round trip on one key (lib/ratelimit/lua/gcra.lua), so a client that hammers
 * the API is turned away at the cost of a hash and a script call, and never reaches PostgreSQL.
 * Over the limit: 429 with Retry-After and the RateLimit fields; within it the fields are added
 * to whatever the endpoint answers.
 *
 * Redis unavailable: fail open (the request goes on unlimited, with a warning at most every 10 s).
 * Every write path needs Redis anyway and answers 503 without it; what stays open is reading
 * requests from PostgreSQL, which the design keeps working through a Redis outage.
 */
export function rateLimit(deps: RateLimitDeps): MiddlewareHandler<{ Variables: { client: string } }> {
  let lastWarning = 0;
  const warn = (err: unknown) => {
    const now = Date.now();
    if (now - lastWarning < 10_000) return;
    lastWarning = now;
    deps.log.warn({ err }, "rate limiter unavailable (Redis): requests are not being limited");
  };
  return async (c, next) => {
    const client = c.get("client");
    const limit = deps.limitFor(client);
    let decision: RateDecision | undefined;
    if (isRedisReady(deps.redis)) {
      try {
        decision = await guarded("redis", deps.redisTimeoutMs, () => takeToken(deps.redis, client, limit));
      } catch (err) {
        warn(err);
      }
    } else warn(new Error("redis connection not ready"));
    if (!decision) return await next();
    const headers = rateLimitHeaders(decision, limit);
    if (!decision.allowed) {
      throw new RateLimitedError(
        `client "${client}" is over its rate limit of ${limit.requests} requests per ${limit.perMs / 1000} s (burst ${limit.burst}); retry after ${headers["retry-after"]} s`,
        headers,
      );
    }
    await next();
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  };
}
