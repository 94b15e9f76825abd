import { findRequest, type RequestRow } from "../db/requests.ts";
import {
  claimRevocation,
  countRevocationAttempt,
  finishRevocation,
  heirOf,
  recordRevocationRetry,
} from "../db/revocations.ts";
import { lockAccess, ownCorrelationIds, releaseLease } from "../db/transitions.ts";
import type { Logger } from "../logging/logger.ts";
import { ProviderError } from "../providers/types.ts";
import type { Job } from "../queue/job.ts";
import { RetryJobError } from "../queue/retry-job-error.ts";
import type { RequestPayload } from "../schemas/request.ts";
import { afterChange } from "./after-change.ts";
import { resolvedOf } from "./canonical-access.ts";
import { errorDetails, GiveUpError, retryDelayMs } from "./errors.ts";
import type { WorkerDeps } from "./worker-deps.ts";

type Step =
  | { kind: "none" }
  | { kind: "not_due" }
  | { kind: "done"; outcome: "REVOKED" | "SKIPPED"; lateMs?: number }
  | { kind: "failed"; err: ProviderError; details: Record<string, unknown> }
  | { kind: "retry"; err: ProviderError; attempts: number };

/**
 * Carries out a grant's due revocation obligation (docs/revocation.md). Under the access lock:
 * SKIPPED when the access pre-existed or a later grant of ours still needs it (it inherits the
 * obligation by being open itself); otherwise the cloud removes what of ours holds the access.
 * Transient errors retry without end, with capped backoff and the cloud's Retry-After; only a
 * permanent error that is not "already gone" ends it FAILED, written under the same lock, and the
 * drift sweep keeps watching it. One job chain at a time holds the revocation (its lease).
 */
export async function revokeGrant(deps: WorkerDeps, log: Logger, job: Job, first: RequestRow): Promise<void> {
  if (first.revocation_status !== "SCHEDULED") return;
  const claim = await claimRevocation(deps.sql, first.correlation_id, job.id, deps.leaseMs);
  if (!claim) return log.debug("revocation not due from this job: done, in progress elsewhere or not ours");
  if (!claim.due) {
    // An old copy of a revocation whose time was moved later: put it back at the right time.
    await releaseLease(deps.sql, claim.correlation_id, job.id);
    await afterChange(deps, claim, claim.revoke_at);
    return;
  }

  let step: Step;
  try {
    step = await deps.sql.begin(async (tx): Promise<Step> => {
      await lockAccess(tx, claim.access_key);
      const [row] = await tx<(RequestRow & { due: boolean })[]>`
        SELECT *, coalesce(revoke_at <= now() + interval '500 milliseconds', true) AS due
        FROM requests WHERE correlation_id = ${claim.correlation_id}`;
      if (row?.revocation_status !== "SCHEDULED" || row.lease_job !== job.id) return { kind: "none" };
      // Looked at again under the lock: an extension may have moved the end since the claim.
      if (!row.due) return { kind: "not_due" };
      if (row.pre_existing !== false) {
        const reason = row.pre_existing
          ? "access existed before the grant"
          : "the grant never reached the cloud";
        await finishRevocation(tx, row.correlation_id, "SKIPPED", { reason });
        return { kind: "done", outcome: "SKIPPED" };
      }
      const heir = await heirOf(tx, row.access_key, row.correlation_id);
      if (heir !== undefined) {
        await finishRevocation(tx, row.correlation_id, "SKIPPED", {
          reason: "an overlapping grant still needs this access",
          kept_for: heir,
        });
        return { kind: "done", outcome: "SKIPPED" };
      }
      await countRevocationAttempt(tx, row.correlation_id);
      try {
        const result = await deps.provider.revoke(row.request_payload as RequestPayload, {
          correlationId: row.correlation_id,
          resolved: resolvedOf(row),
          ownCorrelationIds: await ownCorrelationIds(tx, row.access_key),
        });
        const done = await finishRevocation(tx, row.correlation_id, "REVOKED", {
          already_gone: result.alreadyGone,
        });
        return { kind: "done", outcome: "REVOKED", ...(done ? { lateMs: done.lateMs } : {}) };
      } catch (err) {
        if (!(err instanceof ProviderError)) throw err;
        if (err.retryable) return { kind: "retry", err, attempts: row.revocation_attempts + 1 };
        const details = errorDetails(err, row.cloud_provider, row.revocation_attempts + 1);
        await finishRevocation(tx, row.correlation_id, "FAILED", details);
        return { kind: "failed", err, details };
      }
    });
  } catch (err) {
    // PostgreSQL, Redis or a bug: the queue retries the job; past its attempts it is dead-lettered
    // and the reconciler queues the revocation again once its lease lapses.
    log.warn({ err, attempt: job.attempt }, "revocation interrupted by an infrastructure failure");
    throw err;
  }

  switch (step.kind) {
    case "none":
      return;
    case "not_due": {
      await releaseLease(deps.sql, claim.correlation_id, job.id);
      const row = await findRequest(deps.sql, claim.correlation_id);
      if (row) await afterChange(deps, row, row.revoke_at);
      return;
    }
    case "done":
      deps.metrics?.revocationFinished(claim.cloud_provider, step.outcome, step.lateMs ?? null);
      await afterChange(deps, claim);
      return log.info({ outcome: step.outcome }, "revocation done");
    case "failed":
      deps.metrics?.revocationFinished(claim.cloud_provider, "FAILED", null);
      await afterChange(deps, claim);
      log.error(
        { err: step.err, error_details: step.details },
        "REVOCATION FAILED: access may still be in place",
      );
      throw new GiveUpError(`revocation failed: ${step.err.providerCode}`, { cause: step.err });
    case "retry": {
      const delayMs = retryDelayMs(step.attempts - 1, deps.revocationBackoff, step.err);
      const details = errorDetails(step.err, claim.cloud_provider, step.attempts);
      const held = await recordRevocationRetry(
        deps.sql,
        claim.correlation_id,
        job.id,
        delayMs + deps.leaseMs,
        { ...details, delay_ms: delayMs, chain: job.id },
      );
      if (!held)
        return log.warn({ err: step.err }, "revocation given to another job meanwhile; this one stops");
      log.warn(
        { err: step.err, attempts: step.attempts, delay_ms: delayMs },
        "revocation failed transiently; retrying",
      );
      throw new RetryJobError(step.err.providerCode, delayMs, { cause: step.err });
    }
  }
}
