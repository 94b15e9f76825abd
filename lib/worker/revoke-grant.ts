import type { RequestRow } from "../db/requests.ts";
import {
  claimRevocation,
  finishRevocation,
  recordRevocationRetry,
  revocationState,
} from "../db/revocations.ts";
import { releaseLease } from "../db/transitions.ts";
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
  | { kind: "not_due"; row: RequestRow }
  | { kind: "done"; row: RequestRow; outcome: "REVOKED" | "SKIPPED"; lateMs: number | null }
  | { kind: "failed"; row: RequestRow; err: ProviderError; details: Record<string, unknown> }
  | { kind: "retry"; row: RequestRow; err: ProviderError; delayMs: number; held: boolean };

/**
 * Carries out a grant's due revocation obligation (docs/revocation.md), in one transaction of
 * three statements holding the access lock: claim (lease) and lock; who else of ours still needs
 * the access; the outcome. SKIPPED when the access pre-existed or a later grant of ours still
 * needs it (it inherits the obligation by being open itself); otherwise the cloud removes what of
 * ours holds the access. Transient errors retry without end, with capped backoff and the cloud's
 * Retry-After; only a permanent error that is not "already gone" ends it FAILED, under the same
 * lock, and the drift sweep keeps watching it. One job chain at a time holds the revocation.
 */
export async function revokeGrant(deps: WorkerDeps, log: Logger, job: Job): Promise<void> {
  let step: Step;
  try {
    step = await deps.sql.begin(async (tx): Promise<Step> => {
      const row = await claimRevocation(tx, job.correlation_id, job.id, deps.leaseMs);
      if (!row) return { kind: "none" };
      // An old copy of a revocation whose end was moved later (an extension): put it back.
      if (!row.due) {
        await releaseLease(tx, row.correlation_id, job.id);
        return { kind: "not_due", row };
      }
      if (row.pre_existing !== false) {
        const reason = row.pre_existing
          ? "access existed before the grant"
          : "the grant never reached the cloud";
        await finishRevocation(tx, row.correlation_id, "SKIPPED", { reason });
        return { kind: "done", row, outcome: "SKIPPED", lateMs: null };
      }
      const state = await revocationState(tx, row.access_key, row.correlation_id, deps.provider.attributable);
      if (state.heir !== null) {
        await finishRevocation(tx, row.correlation_id, "SKIPPED", {
          reason: "an overlapping grant still needs this access",
          kept_for: state.heir,
        });
        return { kind: "done", row, outcome: "SKIPPED", lateMs: null };
      }
      const attempts = row.revocation_attempts + 1;
      try {
        const result = await deps.provider.revoke(row.request_payload as RequestPayload, {
          correlationId: row.correlation_id,
          resolved: resolvedOf(row),
          ...(state.ownIds ? { ownCorrelationIds: state.ownIds } : {}),
        });
        const done = await finishRevocation(
          tx,
          row.correlation_id,
          "REVOKED",
          { already_gone: result.alreadyGone },
          true,
        );
        return { kind: "done", row, outcome: "REVOKED", lateMs: done?.lateMs ?? null };
      } catch (err) {
        if (!(err instanceof ProviderError)) throw err;
        const details = errorDetails(err, row.cloud_provider, attempts);
        if (!err.retryable) {
          await finishRevocation(tx, row.correlation_id, "FAILED", details, true);
          return { kind: "failed", row, err, details };
        }
        const delayMs = retryDelayMs(attempts - 1, deps.revocationBackoff, err);
        const held = await recordRevocationRetry(tx, row.correlation_id, job.id, delayMs + deps.leaseMs, {
          ...details,
          delay_ms: delayMs,
          chain: job.id,
        });
        return { kind: "retry", row, err, delayMs, held };
      }
    });
  } catch (err) {
    // PostgreSQL, Redis or a bug: the job is retried (handleRequestJob); the row's lease lapses
    // if it never comes back, and the reconciler queues the revocation again.
    log.warn({ err, attempt: job.attempt }, "revocation interrupted by an infrastructure failure");
    throw err;
  }

  switch (step.kind) {
    case "none":
      return log.debug("revocation not due from this job: done, in progress elsewhere or not ours");
    case "not_due":
      return await afterChange(deps, step.row, step.row.revoke_at);
    case "done":
      deps.metrics?.revocationFinished(step.row.cloud_provider, step.outcome, step.lateMs);
      await afterChange(deps, step.row);
      return log.info({ outcome: step.outcome }, "revocation done");
    case "failed":
      deps.metrics?.revocationFinished(step.row.cloud_provider, "FAILED", null);
      await afterChange(deps, step.row);
      log.error(
        { err: step.err, error_details: step.details },
        "REVOCATION FAILED: access may still be in place",
      );
      throw new GiveUpError(`revocation failed: ${step.err.providerCode}`, { cause: step.err });
    case "retry":
      if (!step.held)
        return log.warn({ err: step.err }, "revocation given to another job meanwhile; this one stops");
      log.warn({ err: step.err, delay_ms: step.delayMs }, "revocation failed transiently; retrying");
      throw new RetryJobError(step.err.providerCode, step.delayMs, { cause: step.err });
  }
}
