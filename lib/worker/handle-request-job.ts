import { findRequest } from "../db/requests.ts";
import { AppError } from "../errors/app-error.ts";
import { backoffDelayMs } from "../queue/backoff.ts";
import type { Job } from "../queue/job.ts";
import { RetryJobError } from "../queue/retry-job-error.ts";
import { carryOutGrant } from "./carry-out-grant.ts";
import { carryOutRevokeRequest } from "./carry-out-revoke-request.ts";
import { checkAccess } from "./check-access.ts";
import { revokeGrant } from "./revoke-grant.ts";
import type { WorkerDeps } from "./worker-deps.ts";

export type { WorkerDeps } from "./worker-deps.ts";

/**
 * Carries out one job. PostgreSQL is the truth: a job whose row is already final changes
 * nothing, and a job of another chain than the one holding the row's lease does nothing. Throws RetryJobError (or a retryable error) for the queue to retry, GiveUpError when
 * the row has been marked final and the job should go to the dead list.
 */
export async function handleRequestJob(deps: WorkerDeps, job: Job): Promise<void> {
  try {
    return await handle(deps, job);
  } catch (err) {
    if (err instanceof AppError) throw err;
    // PostgreSQL or Redis unreachable (or a bug): not the request's fault, so no attempt is used
    // up and the job is never dead-lettered for it; it comes back soon. A bug that would loop
    // here is ended by the handling cap, counted in PostgreSQL at each claim.
    const delayMs = backoffDelayMs(job.attempt, { baseMs: deps.backoff.baseMs, maxMs: INFRA_RETRY_MAX_MS });
    throw new RetryJobError("infrastructure_unavailable", delayMs, { cause: err });
  }
}

/** Longest wait between two tries of a job interrupted by PostgreSQL or Redis being unreachable. */
const INFRA_RETRY_MAX_MS = 5000;

async function handle(deps: WorkerDeps, job: Job): Promise<void> {
  const log = deps.log.child({ correlation_id: job.correlation_id, job_id: job.id, provider: job.provider });
  if (job.kind === "check") {
    const row = await findRequest(deps.sql, job.correlation_id);
    if (!row) return;
    const outcome = await checkAccess(deps, log, row);
    deps.metrics?.driftChecked(job.provider, outcome);
    return;
  }
  // The job carries its request (immutable once accepted), so what to do is known without a
  // read: each path's first statement claims the row, and does nothing for a final, unknown or
  // leased one (its insert undone after a failed enqueue, say).
  const action = await actionOf(deps, job);
  if (action === undefined) return log.warn("job without a request row; dropped");
  if (action === "revoke") return await carryOutRevokeRequest(deps, log, job);
  if (job.kind === "revoke") return await revokeGrant(deps, log, job);
  return await carryOutGrant(deps, log, job);
}

/** "grant" or "revoke": from the job's copy of the request, or from the row when it has none. */
async function actionOf(deps: WorkerDeps, job: Job): Promise<"grant" | "revoke" | undefined> {
  const action = (job.request as { action?: unknown } | null)?.action;
  if (action === "grant" || action === "revoke") return action;
  return (await findRequest(deps.sql, job.correlation_id))?.action;
}
