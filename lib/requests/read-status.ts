import type { Redis } from "ioredis";
import { type CacheTtl, getCachedStatus, setCachedStatus } from "../cache/status-cache.ts";
import type { Sql } from "../db/connect.ts";
import { findRequest } from "../db/requests.ts";
import { NotFoundError } from "../errors/http-errors.ts";
import { guarded } from "../http/dependency.ts";
import type { Logger } from "../logging/logger.ts";
import { isRedisReady } from "../redis/connect.ts";
import { type StatusView, toStatusView } from "./status-view.ts";

export interface ReadDeps {
  sql: Sql;
  redis: Redis;
  log: Logger;
  cacheTtl: CacheTtl;
  dbTimeoutMs: number;
  redisTimeoutMs: number;
}

export type CacheOutcome = "HIT" | "MISS" | "BYPASS";

/**
 * Cache-aside read (the seed's pattern): Redis GET; on a miss read PostgreSQL, SET with a TTL,
 * return. The cache is an optimisation only: with Redis down the read goes straight to
 * PostgreSQL (BYPASS) instead of failing.
 */
export async function readStatus(
  deps: ReadDeps,
  correlationId: string,
): Promise<{ view: StatusView; cache: CacheOutcome }> {
  const { sql, redis, log } = deps;
  const redisUp = isRedisReady(redis);
  if (redisUp) {
    try {
      const cached = await guarded("redis", deps.redisTimeoutMs, () => getCachedStatus(redis, correlationId));
      if (cached) return { view: cached, cache: "HIT" };
    } catch (err) {
      log.warn({ err, correlation_id: correlationId }, "cache read failed; reading PostgreSQL");
    }
  }
  const row = await guarded("postgres", deps.dbTimeoutMs, () => findRequest(sql, correlationId));
  if (!row) throw new NotFoundError(`no request ${correlationId}`);
  const view = toStatusView(row);
  if (redisUp) {
    await guarded("redis", deps.redisTimeoutMs, () => setCachedStatus(redis, view, deps.cacheTtl)).catch(
      (err) => log.warn({ err, correlation_id: correlationId }, "cache fill failed"),
    );
  }
  return { view, cache: redisUp ? "MISS" : "BYPASS" };
}
