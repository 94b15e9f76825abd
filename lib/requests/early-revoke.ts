import type { Redis } from "ioredis";
import { invalidateStatus } from "../cache/status-cache.ts";
import type { Sql } from "../db/connect.ts";
import { expireGrantNow } from "../db/requests.ts";
import { ConflictError, DependencyUnavailableError, NotFoundError } from "../errors/http-errors.ts";
import { guarded } from "../http/dependency.ts";
import type { Logger } from "../logging/logger.ts";
import { REVOCATION_SCHEDULE_KEY } from "../queue/keys.ts";
import { scheduleAt } from "../queue/schedule.ts";
import { isRedisReady } from "../redis/connect.ts";
import { revocationJobForRow } from "./revocation-job.ts";

export interface EarlyRevokeDeps {
  sql: Sql;
  redis: Redis;
  log: Logger;
  dbTimeoutMs: number;
  redisTimeoutMs: number;
}

/**
 * POST /api/v1/requests/{id}/revoke: moves the grant's expiry to now in PostgreSQL (the truth),
 * then moves its revocation to now in `schedule:revocations`. If Redis fails after the commit,
 * the reconciler schedules it from PostgreSQL, so the answer is still 202.
 */
export async function revokeEarly(
  deps: EarlyRevokeDeps,
  correlationId: string,
  client: string,
): Promise<string> {
  if (!isRedisReady(deps.redis)) throw new DependencyUnavailableError("redis");
  const result = await guarded("postgres", deps.dbTimeoutMs, () =>
    expireGrantNow(deps.sql, correlationId, client),
  );
  if (!result.ok) {
    if (result.reason === "not_found") throw new NotFoundError(`no request ${correlationId}`);
    if (result.reason === "not_a_grant") throw new ConflictError("only a grant can be revoked early");
    throw new ConflictError(
      `the grant is not active (status ${result.row?.status}, revocation ${result.row?.revocation_status ?? "none"})`,
    );
  }
  const row = result.row;
  try {
    await guarded("redis", deps.redisTimeoutMs, async () => {
      if (row.status === "SUCCESS") {
        await scheduleAt(
          deps.redis,
          REVOCATION_SCHEDULE_KEY,
          revocationJobForRow(row),
          row.revoke_at?.getTime() ?? Date.now(),
        );
      }
      await invalidateStatus(deps.redis, correlationId);
    });
  } catch (err) {
    deps.log.warn(
      { err, correlation_id: correlationId },
      "early revoke recorded; schedule left to the reconciler",
    );
  }
  return row.status;
}
