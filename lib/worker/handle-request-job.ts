import type { Redis } from "ioredis";
import { invalidateStatus } from "../cache/status-cache.ts";
import type { Sql } from "../db/connect.ts";
import { findRequest, type RequestRow } from "../db/requests.ts";
import {
  activeGrants,
  activeOwnGrants,
  finishRevocation,
  lockAccess,
  markFailed,
  markSucceeded,
  recordRetry,
  startProcessing,
} from "../db/transitions.ts";
import type { Logger } from "../logging/logger.ts";
import { type ProviderClient, ProviderError } from "../providers/types.ts";
import type { Job } from "../queue/job.ts";
import { REVOCATION_SCHEDULE_KEY } from "../queue/keys.ts";
import { scheduleAt } from "../queue/schedule.ts";
import { revocationJobForRow } from "../requests/revocation-job.ts";
import type { RequestPayload } from "../schemas/request.ts";
import { errorDetails, GiveUpError, RetryLaterError } from "./errors.ts";

export interface WorkerDeps {
  sql: Sql;
  redis: Redis;
  provider: ProviderClient;
  log: Logger;
  now: () => number;
  /** Same number the queue uses: attempt (0-based) + 1 reaching it means this is the last try. */
  maxAttempts: number;
}

/**
 * Carries out one job. PostgreSQL is the truth: the row is read first and a job whose row is
 * already final changes nothing. Throws RetryLaterError for the queue to retry, GiveUpError
 * when the row has been marked final and the job should go to the dead list.
 */
export async function handleRequestJob(deps: WorkerDeps, job: Job): Promise<void> {
  const row = await findRequest(deps.sql, job.correlation_id);
  const log = deps.log.child({ correlation_id: job.correlation_id, job_id: job.id, provider: job.provider });
  if (!row) {
    // A job whose row is gone (its insert was rolled back after a failed enqueue): act on nothing.
    log.warn("job without a request row; dropped");
    return;
  }
  if (job.kind === "revoke" && row.action === "grant") return await revokeExpiredGrant(deps, log, job, row);
  if (row.action === "revoke") return await carryOutRevokeRequest(deps, log, job, row);
  return await carryOutGrant(deps, log, job, row);
}

const lastAttempt = (deps: WorkerDeps, job: Job) => job.attempt + 1 >= deps.maxAttempts;

async function afterChange(deps: WorkerDeps, id: string): Promise<void> {
  await invalidateStatus(deps.redis, id);
}

/**
 * Only the cloud's verdict can fail a request. Anything else (PostgreSQL or Redis down, a bug)
 * is rethrown as is: the queue retries it and, past its attempts, dead-letters the job, and the
 * reconciler queues the still-unfinished row again later. A database blip never marks FAILED.
 */
function rethrowUnlessProviderError(err: unknown, log: Logger, job: Job): asserts err is ProviderError {
  if (err instanceof ProviderError) return;
  log.warn({ err, attempt: job.attempt }, "infrastructure failure; the job will be retried");
  throw err;
}

/** A classified cloud failure: permanent or out of attempts → FAILED; otherwise retry later. */
async function failOrRetry(
  deps: WorkerDeps,
  log: Logger,
  job: Job,
  row: RequestRow,
  err: unknown,
): Promise<never> {
  rethrowUnlessProviderError(err, log, job);
  const details = errorDetails(err, row.cloud_provider, job.attempt + 1);
  if (err.retryable && !lastAttempt(deps, job)) {
    await recordRetry(deps.sql, row.correlation_id, details);
    log.warn({ err, attempt: job.attempt }, "transient failure; will retry");
    throw new RetryLaterError(String(details.code), { cause: err });
  }
  await markFailed(deps.sql, row.correlation_id, details);
  await afterChange(deps, row.correlation_id);
  log.error({ err, attempt: job.attempt, error_details: details }, "request failed");
  throw new GiveUpError(`request failed: ${String(details.code)}`, { cause: err });
}

async function carryOutGrant(deps: WorkerDeps, log: Logger, job: Job, first: RequestRow): Promise<void> {
  if (first.status === "SUCCESS" || first.status === "FAILED") return; // duplicate delivery
  const row = await startProcessing(deps.sql, first.correlation_id);
  if (!row) return;
  await afterChange(deps, row.correlation_id);
  const payload = row.request_payload as RequestPayload;
  if (row.expires_at && row.expires_at.getTime() <= deps.now()) {
    // Granting access that has already expired would only open a window; refuse it.
    await markFailed(deps.sql, row.correlation_id, {
      code: "expired_before_processing",
      message: "the grant's expiry passed before a worker could apply it",
      provider: row.cloud_provider,
    });
    await afterChange(deps, row.correlation_id);
    return;
  }
  let done: { expires_at: Date | null } | undefined;
  try {
    const preExisting = await recordPreExisting(deps, row, payload);
    done = await deps.sql.begin(async (tx) => {
      await lockAccess(tx, row.access_key);
      const own = await activeOwnGrants(tx, row.access_key, row.correlation_id);
      // The provider's own "was it there?" is not trusted here: on a retry it sees our first try.
      const outcome = await deps.provider.grant(payload, { correlationId: row.correlation_id });
      return await markSucceeded(
        tx,
        row.correlation_id,
        { ...outcome.handle, pre_existing: preExisting },
        { pre_existing: preExisting, overlaps: own.map((g) => g.correlation_id) },
      );
    });
  } catch (err) {
    return await failOrRetry(deps, log, job, row, err);
  }
  await afterChange(deps, row.correlation_id);
  // The expiry as committed, not as first read: an early revoke may have moved it meanwhile.
  // If Redis fails here the reconciler puts the revocation back from PostgreSQL.
  if (done?.expires_at) {
    await scheduleAt(
      deps.redis,
      REVOCATION_SCHEDULE_KEY,
      revocationJobForRow(row),
      done.expires_at.getTime(),
    );
  }
  log.info({ applied: done !== undefined }, "grant applied");
}

/**
 * Whether the access was there before this grant, decided once and committed before the first
 * cloud call that could apply it. Later attempts reuse the recorded answer: after a lost reply or
 * a crash they would otherwise find their own earlier attempt's access and never revoke it.
 * Access there only because another active grant of ours applied it does not count as pre-existing.
 */
async function recordPreExisting(
  deps: WorkerDeps,
  row: RequestRow,
  payload: RequestPayload,
): Promise<boolean> {
  return await deps.sql.begin(async (tx) => {
    await lockAccess(tx, row.access_key);
    const [current] = await tx<{ provider_handle: { pre_existing?: unknown } | null }[]>`
      SELECT provider_handle FROM requests WHERE correlation_id = ${row.correlation_id}`;
    const recorded = current?.provider_handle?.pre_existing;
    if (typeof recorded === "boolean") return recorded;
    const own = await activeOwnGrants(tx, row.access_key, row.correlation_id);
    const present = await deps.provider.hasAccess(payload, { correlationId: row.correlation_id });
    const preExisting = present && own.length === 0;
    await tx`UPDATE requests SET provider_handle = ${tx.json({ pre_existing: preExisting })}
             WHERE correlation_id = ${row.correlation_id} AND status = 'PROCESSING'`;
    return preExisting;
  });
}

async function revokeExpiredGrant(deps: WorkerDeps, log: Logger, job: Job, first: RequestRow): Promise<void> {
  if (first.status !== "SUCCESS" || first.revocation_status !== "SCHEDULED") return;
  const due = first.expires_at?.getTime() ?? 0;
  if (due > deps.now() + 1000) {
    // An old copy of a revocation whose time was moved later: put it back at the right time.
    await scheduleAt(deps.redis, REVOCATION_SCHEDULE_KEY, revocationJobForRow(first), due);
    return;
  }
  let outcome: "REVOKED" | "SKIPPED" | "NONE" = "NONE";
  try {
    outcome = await deps.sql.begin(async (tx) => {
      await lockAccess(tx, first.access_key);
      const row = await findRequest(tx, first.correlation_id);
      if (row?.revocation_status !== "SCHEDULED") return "NONE" as const;
      const handle = (row.provider_handle ?? {}) as Record<string, string | number | boolean | null>;
      if (handle.pre_existing === true) {
        await finishRevocation(tx, row.correlation_id, "SKIPPED", {
          reason: "access existed before the grant",
        });
        return "SKIPPED" as const;
      }
      const others = await activeOwnGrants(tx, row.access_key, row.correlation_id);
      const heir = others[0];
      if (heir) {
        // Another grant of ours still needs this access: it revokes when it expires. It inherits
        // the provider handle, so the access it removes is the one that really exists.
        await tx`UPDATE requests SET provider_handle = provider_handle || ${tx.json({
          inherited_from: row.correlation_id,
          ...stripFlags(handle),
        } as never)} WHERE correlation_id = ${heir.correlation_id}`;
        await finishRevocation(tx, row.correlation_id, "SKIPPED", {
          reason: "an overlapping grant still needs this access",
          kept_for: heir.correlation_id,
        });
        return "SKIPPED" as const;
      }
      const result = await deps.provider.revoke(row.request_payload as RequestPayload, {
        correlationId: row.correlation_id,
        handle,
      });
      await finishRevocation(tx, row.correlation_id, "REVOKED", { already_gone: result.alreadyGone });
      return "REVOKED" as const;
    });
  } catch (err) {
    rethrowUnlessProviderError(err, log, job);
    const details = errorDetails(err, first.cloud_provider, job.attempt + 1);
    if (err.retryable && !lastAttempt(deps, job)) {
      log.warn({ err, attempt: job.attempt }, "revocation failed transiently; will retry");
      throw new RetryLaterError(String(details.code), { cause: err });
    }
    await finishRevocation(deps.sql, first.correlation_id, "FAILED", details);
    await afterChange(deps, first.correlation_id);
    log.error({ err, error_details: details }, "REVOCATION FAILED: access may still be in place");
    throw new GiveUpError(`revocation failed: ${String(details.code)}`, { cause: err });
  }
  if (outcome !== "NONE") await afterChange(deps, first.correlation_id);
  log.info({ outcome }, "revocation done");
}

async function carryOutRevokeRequest(
  deps: WorkerDeps,
  log: Logger,
  job: Job,
  first: RequestRow,
): Promise<void> {
  if (first.status === "SUCCESS" || first.status === "FAILED") return;
  const row = await startProcessing(deps.sql, first.correlation_id);
  if (!row) return;
  await afterChange(deps, row.correlation_id);
  let ended: string[] = [];
  try {
    ended = await deps.sql.begin(async (tx) => {
      await lockAccess(tx, row.access_key);
      const grants = await activeGrants(tx, row.access_key);
      const handle = grants.find((g) => !isPreExisting(g))?.provider_handle as
        | Record<string, string | number | boolean | null>
        | undefined;
      const result = await deps.provider.revoke(row.request_payload as RequestPayload, {
        correlationId: row.correlation_id,
        ...(handle ? { handle } : {}),
      });
      for (const g of grants) {
        await finishRevocation(tx, g.correlation_id, "REVOKED", { revoked_by: row.correlation_id });
      }
      await markSucceeded(tx, row.correlation_id, {}, { already_gone: result.alreadyGone });
      return grants.map((g) => g.correlation_id);
    });
  } catch (err) {
    return await failOrRetry(deps, log, job, row, err);
  }
  await afterChange(deps, row.correlation_id);
  for (const id of ended) await afterChange(deps, id);
  log.info({ ended_grants: ended }, "access revoked on request");
}

function isPreExisting(row: RequestRow): boolean {
  return (row.provider_handle as { pre_existing?: boolean } | null)?.pre_existing === true;
}

function stripFlags(handle: Record<string, unknown>): Record<string, unknown> {
  const { pre_existing: _p, inherited_from: _i, ...rest } = handle;
  return rest;
}
