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
 * Carries out one job. PostgreSQL is the truth: the row is read first, a job whose row is already
 * final changes nothing, and a job of another chain than the one holding the row's lease does
 * nothing. Throws RetryJobError (or a retryable error) for the queue to retry, GiveUpError when
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
  const row = await findRequest(deps.sql, job.correlation_id);
  const log = deps.log.child({ correlation_id: job.correlation_id, job_id: job.id, provider: job.provider });
  if (!row) {
    // A job whose row is gone (its insert was undone after a failed enqueue): act on nothing.
    log.warn("job without a request row; dropped");
    return;
  }
  if (job.kind === "check") {
    const outcome = await checkAccess(deps, log, row);
    deps.metrics?.driftChecked(job.provider, outcome);
    return;
  }
  if (row.action === "revoke") return await carryOutRevokeRequest(deps, log, job, row);
  if (job.kind === "revoke") return await revokeGrant(deps, log, job, row);
  return await carryOutGrant(deps, log, job, row);
}
