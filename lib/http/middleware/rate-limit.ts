import type { MiddlewareHandler } from "hono";
import type { Redis } from "ioredis";
import { RateLimitedError } from "../../errors/http-errors.ts";
import type { Logger } from "../../logging/logger.ts";
import { rateLimitHeaders } from "../../ratelimit/headers.ts";
import { createRateLeases } from "../../ratelimit/lease.ts";
import type { RateLimit } from "../../ratelimit/limits.ts";
import type { RateDecision } from "../../ratelimit/take.ts";
import { isRedisReady } from "../../redis/connect.ts";
import { guardedRedis } from "../dependency.ts";

export interface RateLimitDeps {
  redis: Redis;
  log: Logger;
  limitFor: (client: string) => RateLimit;
  redisTimeoutMs: number;
}

/**
 * Per-client rate limit, right after authentication and before the body is read or anything is
 * written: one Redis round trip on one key (lib/ratelimit/lua/gcra.lua; a client with a large
 * budget takes a few requests per round trip, lib/ratelimit/lease.ts), so a client that hammers
 * the API is turned away at the cost of a hash and a script call, and never reaches PostgreSQL.
 * Over the limit: 429 with Retry-After and the RateLimit fields; within it the fields are added
 * to whatever the endpoint answers. Once refused, a client is refused locally (no Redis call)
 * until the moment Redis said it may retry.
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
  // client → local time (performance.now(), ms) before which Redis is known to refuse it.
  const deniedUntil = new Map<string, number>();
  const leases = createRateLeases(deps.redis);
  return async (c, next) => {
    const client = c.get("client");
    const limit = deps.limitFor(client);
    const asked = performance.now();
    let decision: RateDecision | undefined;
    const until = deniedUntil.get(client);
    if (until !== undefined && asked < until) {
      // Refused without asking Redis: a refusal leaves the bucket as it was and other replicas
      // can only fill it further, so Redis would refuse too until then. A client hammering far
      // over its limit costs a hash and a map lookup per request, not a round trip.
      decision = { allowed: false, remaining: 0, waitUs: Math.ceil((until - asked) * 1000), nowUs: 0 };
    } else if (isRedisReady(deps.redis)) {
      try {
        decision = await guardedRedis(deps.redis, deps.redisTimeoutMs, () => leases.take(client, limit));
        // Timed from before the call, so the local deadline is never later than Redis's.
        if (decision.allowed) deniedUntil.delete(client);
        else deniedUntil.set(client, asked + decision.waitUs / 1000);
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
