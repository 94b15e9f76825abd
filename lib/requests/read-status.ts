import type { Redis } from "ioredis";
import { type Caller, canRead, isNonOwnerAccess, visibilityFilter } from "../auth/authorize.ts";
import { type CacheTtl, getCachedStatus, setCachedStatus } from "../cache/status-cache.ts";
import { recordAccess } from "../db/access-log.ts";
import type { Sql } from "../db/connect.ts";
import { findRequest } from "../db/requests.ts";
import { NotFoundError } from "../errors/http-errors.ts";
import { guarded, guardedRedis } from "../http/dependency.ts";
import type { Logger } from "../logging/logger.ts";
import { isRedisReady } from "../redis/connect.ts";
import { type StatusView, toStatusView } from "./status-view.ts";

export interface ReadDeps {
  sql: Sql;
  /**
   * A read replica (DATABASE_READ_URL), for the read on a cache miss; default `sql`. A replica
   * lags: an id it does not know yet is looked up on the primary (a request just submitted), and
   * what it returns is cached only briefly (a lagging view must not sit in the cache for minutes).
   */
  sqlRead?: Sql;
  redis: Redis;
  log: Logger;
  cacheTtl: CacheTtl;
  dbTimeoutMs: number;
  redisTimeoutMs: number;
}

export type CacheOutcome = "HIT" | "MISS" | "BYPASS";

/** The answer for an id the caller cannot see: word for word the one for an id that does not exist. */
export const unknownRequest = (correlationId: string) => new NotFoundError(`no request ${correlationId}`);

/**
 * GET /api/v1/requests/{id} for `caller`: cache-aside (the seed's pattern: Redis GET; on a miss
 * read PostgreSQL, SET with a TTL, return). With Redis down the read goes straight to PostgreSQL
 * (BYPASS) instead of failing.
 *
 * Ownership (lib/auth/authorize.ts) is checked on a cache HIT too. A cached request the caller may
 * not see is handled as a miss: the same PostgreSQL query, restricted to the caller's own rows,
 * as for an unknown id, so neither the 404 nor its timing tells "someone else's" from "none"; and
 * nothing is cached for it. A read by anyone but the owner is written to access_log before the
 * answer leaves (if that write fails, the answer is a 503, not an unrecorded read).
 */
export async function readStatus(
  deps: ReadDeps,
  correlationId: string,
  caller: Caller,
): Promise<{ view: StatusView; cache: CacheOutcome }> {
  const { sql, redis, log } = deps;
  const redisUp = isRedisReady(redis);
  let found: { view: StatusView; cache: CacheOutcome } | undefined;
  if (redisUp) {
    try {
      const cached = await guardedRedis(redis, deps.redisTimeoutMs, () =>
        getCachedStatus(redis, correlationId),
      );
      if (cached && canRead(caller, cached)) found = { view: cached, cache: "HIT" };
    } catch (err) {
      log.warn({ err, correlation_id: correlationId }, "cache read failed; reading PostgreSQL");
    }
  }
  if (!found) {
    const filter = visibilityFilter(caller);
    const replica = deps.sqlRead === sql ? undefined : deps.sqlRead;
    let row = await guarded("postgres", deps.dbTimeoutMs, () =>
      findRequest(replica ?? sql, correlationId, filter),
    );
    let fromReplica = replica !== undefined;
    if (!row && replica !== undefined) {
      row = await guarded("postgres", deps.dbTimeoutMs, () => findRequest(sql, correlationId, filter));
      fromReplica = false;
    }
    if (!row) throw unknownRequest(correlationId);
    const view = toStatusView(row);
    const ttl = fromReplica
      ? { settledSeconds: deps.cacheTtl.movingSeconds, movingSeconds: deps.cacheTtl.movingSeconds }
      : deps.cacheTtl;
    if (redisUp) {
      await guardedRedis(redis, deps.redisTimeoutMs, () => setCachedStatus(redis, view, ttl)).catch((err) =>
        log.warn({ err, correlation_id: correlationId }, "cache fill failed"),
      );
    }
    found = { view, cache: redisUp ? "MISS" : "BYPASS" };
  }
  if (isNonOwnerAccess(caller, found.view)) {
    await guarded("postgres", deps.dbTimeoutMs, () =>
      recordAccess(sql, { client: caller.name, role: caller.role, action: "read", correlationId }),
    );
  }
  return found;
}
