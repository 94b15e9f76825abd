import { findRequest } from "../db/requests.ts";
import type { Job } from "../queue/job.ts";
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
  const row = await findRequest(deps.sql, job.correlation_id);
  const log = deps.log.child({ correlation_id: job.correlation_id, job_id: job.id, provider: job.provider });
  if (!row) {
    // A job whose row is gone (its insert was undone after a failed enqueue): act on nothing.
    log.warn("job without a request row; dropped");
    return;
  }
  if (job.kind === "check") {
    await checkAccess(deps, log, row);
    return;
  }
  if (row.action === "revoke") return await carryOutRevokeRequest(deps, log, job, row);
  if (job.kind === "revoke") return await revokeGrant(deps, log, job, row);
  return await carryOutGrant(deps, log, job, row);
}
