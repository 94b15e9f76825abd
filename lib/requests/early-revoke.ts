import type { Redis } from "ioredis";
import { assertMay, type Caller, visibilityFilter } from "../auth/authorize.ts";
import { invalidateStatus } from "../cache/status-cache.ts";
import type { Sql } from "../db/connect.ts";
import { expireGrantNow, findRequest } from "../db/requests.ts";
import { ConflictError, DependencyUnavailableError } from "../errors/http-errors.ts";
import { guarded } from "../http/dependency.ts";
import type { Logger } from "../logging/logger.ts";
import { checkRevokePolicy } from "../policy/check.ts";
import type { Policy } from "../policy/schema.ts";
import { REVOCATION_SCHEDULE_KEY } from "../queue/keys.ts";
import { scheduleAt } from "../queue/schedule.ts";
import { isRedisReady } from "../redis/connect.ts";
import type { RequestPayload } from "../schemas/request.ts";
import { unknownRequest } from "./read-status.ts";
import { revocationJobForRow } from "./revocation-job.ts";

export interface EarlyRevokeDeps {
  sql: Sql;
  redis: Redis;
  log: Logger;
  policy: Policy | null;
  now: () => Date;
  dbTimeoutMs: number;
  redisTimeoutMs: number;
}

/**
 * POST /api/v1/requests/{id}/revoke for `caller`. In order, each refusal before anything is
 * written: the role must allow revoking (auditor: 403, rule "role"); the grant must be visible to
 * the caller (a submitter's view of another client's grant is a 404, as for an unknown id); the
 * caller's own guardrails must allow revoking this access (403 naming the rule, checkRevokePolicy);
 * the grant must still be active (409). Then its expiry moves to now in PostgreSQL (the truth,
 * with a REVOKE_REQUESTED event naming who asked) and its revocation to now in
 * `schedule:revocations`. If Redis fails after the commit, the reconciler schedules it from
 * PostgreSQL, so the answer is still 202.
 */
export async function revokeEarly(
  deps: EarlyRevokeDeps,
  correlationId: string,
  caller: Caller,
): Promise<string> {
  assertMay(caller, "revoke");
  if (!isRedisReady(deps.redis)) throw new DependencyUnavailableError("redis");
  const grant = await guarded("postgres", deps.dbTimeoutMs, () =>
    findRequest(deps.sql, correlationId, visibilityFilter(caller)),
  );
  if (!grant) throw unknownRequest(correlationId);
  // The payload was validated when it was accepted; only the fields the guardrails read are used.
  checkRevokePolicy(deps.policy, caller.name, grant.request_payload as RequestPayload, deps.now());

  const result = await guarded("postgres", deps.dbTimeoutMs, () =>
    expireGrantNow(deps.sql, correlationId, { client: caller.name, role: caller.role }),
  );
  if (!result.ok) {
    if (result.reason === "not_found") throw unknownRequest(correlationId);
    if (result.reason === "not_a_grant") throw new ConflictError("only a grant can be revoked early");
    throw new ConflictError(
      `the grant is not active (status ${result.row.status}, revocation ${result.row.revocation_status ?? "none"})`,
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
