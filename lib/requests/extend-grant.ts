import type { Redis } from "ioredis";
import { assertMay, type Caller, visibilityFilter } from "../auth/authorize.ts";
import { invalidateStatus } from "../cache/status-cache.ts";
import { parseIsoDuration } from "../config/env.ts";
import type { Sql } from "../db/connect.ts";
import { extendGrantEnd } from "../db/extend-grant.ts";
import { findRequest } from "../db/requests.ts";
import {
  ConflictError,
  DependencyUnavailableError,
  PolicyDeniedError,
  ValidationError,
} from "../errors/http-errors.ts";
import { guarded } from "../http/dependency.ts";
import type { Logger } from "../logging/logger.ts";
import { checkExtendPolicy } from "../policy/check.ts";
import type { Policy } from "../policy/schema.ts";
import { REVOCATION_SCHEDULE_KEY } from "../queue/keys.ts";
import { scheduleAt } from "../queue/schedule.ts";
import { isRedisReady } from "../redis/connect.ts";
import type { ExtendBody, ExtendResponse } from "../schemas/extend.ts";
import type { RequestPayload } from "../schemas/request.ts";
import { unknownRequest } from "./read-status.ts";
import { revocationJobForRow } from "./revocation-job.ts";

export interface ExtendDeps {
  sql: Sql;
  redis: Redis;
  log: Logger;
  policy: Policy | null;
  /** MAX_GRANT_DURATION: no grant lasts longer, counted from its start. */
  maxGrantDurationMs: number;
  dbTimeoutMs: number;
  redisTimeoutMs: number;
}

const iso = (d: Date) => d.toISOString();

/**
 * POST /api/v1/requests/{id}/extend for `caller`. Each refusal before anything is written: the
 * role must allow extending (submitter, own requests: operator and auditor get 403 rule role);
 * the grant must be visible (404 as for an unknown id); it must be an active grant (409: a grant
 * that has ended hears that, not a complaint about the end asked for); the new end must be later
 * than the current one (422); the caller's guardrails apply as to a grant asked for at the grant's start —
 * `max_duration` and MAX_GRANT_DURATION are counted from `received_at`, so extending in steps
 * never gets further than one request could (403). Then, under the access lock, the grant must
 * still be active with no revocation in progress (409); its end moves in PostgreSQL (with an
 * EXTENDED event) and its revocation in `schedule:revocations`. If Redis fails after the commit,
 * the revocation job fires at the old time, finds the end moved and puts itself back
 * (lib/worker/revoke-grant.ts), so the answer is still 200.
 */
export async function extendGrant(
  deps: ExtendDeps,
  correlationId: string,
  caller: Caller,
  body: ExtendBody,
): Promise<ExtendResponse> {
  assertMay(caller, "extend");
  if (!isRedisReady(deps.redis)) throw new DependencyUnavailableError("redis");
  const grant = await guarded("postgres", deps.dbTimeoutMs, () =>
    findRequest(deps.sql, correlationId, visibilityFilter(caller)),
  );
  if (!grant) throw unknownRequest(correlationId);
  if (grant.action !== "grant") throw new ConflictError("only a grant can be extended");
  const current = grant.revoke_at;
  if (grant.status !== "SUCCESS" || grant.revocation_status !== "SCHEDULED" || current === null) {
    throw notActive(grant.status, grant.revocation_status);
  }
  const newEnd =
    body.expires_at !== undefined
      ? new Date(Date.parse(body.expires_at))
      : new Date(current.getTime() + (parseIsoDuration(body.duration ?? "") ?? 0));
  if (!(newEnd.getTime() > current.getTime())) {
    const pointer = body.expires_at !== undefined ? "/expires_at" : "/duration";
    throw new ValidationError("the new end must be later than the grant's current end", [
      { pointer, detail: `must be later than the current end ${iso(current)}` },
    ]);
  }
  const start = grant.received_at;
  if (newEnd.getTime() - start.getTime() > deps.maxGrantDurationMs) {
    throw new PolicyDeniedError(
      `a grant may last at most ${deps.maxGrantDurationMs} ms from its start ${iso(start)}, not until ${iso(newEnd)} (rule max_grant_duration)`,
      "max_grant_duration",
    );
  }
  checkExtendPolicy(deps.policy, caller.name, grant.request_payload as RequestPayload, newEnd, start);

  const result = await guarded("postgres", deps.dbTimeoutMs, () =>
    extendGrantEnd(deps.sql, correlationId, {
      newEnd,
      expectedEnd: current,
      by: { client: caller.name, role: caller.role },
    }),
  );
  if (!result.ok) {
    switch (result.reason) {
      case "not_found":
        throw unknownRequest(correlationId);
      case "not_a_grant":
        throw new ConflictError("only a grant can be extended");
      case "not_active":
        throw notActive(result.row.status, result.row.revocation_status);
      case "revocation_in_progress":
        throw new ConflictError("the grant's revocation is in progress; it can no longer be extended");
      case "changed":
        throw new ConflictError("the grant's end changed meanwhile; read it again and retry");
    }
  }
  const row = result.row;
  try {
    await guarded("redis", deps.redisTimeoutMs, async () => {
      await scheduleAt(deps.redis, REVOCATION_SCHEDULE_KEY, revocationJobForRow(row), newEnd.getTime());
      await invalidateStatus(deps.redis, correlationId);
    });
  } catch (err) {
    deps.log.warn(
      { err, correlation_id: correlationId },
      "extension recorded; the revocation job will find the new end and move itself",
    );
  }
  return {
    correlation_id: correlationId,
    expires_at: iso(newEnd),
    revoke_at: iso(newEnd),
    previous_end: iso(result.previousEnd),
    original_expires_at: iso(row.original_expires_at ?? row.expires_at ?? newEnd),
  };
}

const notActive = (status: string, revocation: string | null) =>
  new ConflictError(
    `only an active grant can be extended (status ${status}, revocation ${revocation ?? "none"})`,
  );
