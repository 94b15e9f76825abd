import { findRequest } from "../db/requests.ts";
import {
  claimForProcessing,
  endGrantsOfAccess,
  lockAccess,
  markFailed,
  markSucceeded,
  ownCorrelationIds,
} from "../db/transitions.ts";
import type { Logger } from "../logging/logger.ts";
import type { Job } from "../queue/job.ts";
import type { RequestPayload } from "../schemas/request.ts";
import { afterChange } from "./after-change.ts";
import { canonicalAccessOf } from "./canonical-access.ts";
import { failOrRetry } from "./fail-or-retry.ts";
import type { WorkerDeps } from "./worker-deps.ts";

/**
 * A revoke request ("action": "revoke"): removes the access now, whoever applied it, and ends
 * every grant of it — under the access lock, so no grant of the same access decides or revokes
 * in between.
 */
export async function carryOutRevokeRequest(deps: WorkerDeps, log: Logger, job: Job): Promise<void> {
  const row = await claimForProcessing(deps.sql, job.correlation_id, job.id, deps.leaseMs);
  if (!row) return;
  await afterChange(deps, row);
  if (row.attempts > deps.maxHandlings) {
    const details = {
      code: "attempts_exhausted",
      message: `handled ${row.attempts - 1} times without an answer`,
      provider: row.cloud_provider,
    };
    await markFailed(deps.sql, row.correlation_id, details, job.id);
    await afterChange(deps, row);
    return;
  }
  const payload = row.request_payload as RequestPayload;
  let ended: string[];
  try {
    const access = await canonicalAccessOf(deps, row, payload);
    ended = await deps.sql.begin(async (tx) => {
      await lockAccess(tx, access.accessKey);
      const result = await deps.provider.revoke(payload, {
        correlationId: row.correlation_id,
        resolved: access.resolved,
        ownCorrelationIds: await ownCorrelationIds(tx, access.accessKey),
      });
      const ids = await endGrantsOfAccess(tx, access.accessKey, row.correlation_id);
      await markSucceeded(
        tx,
        row.correlation_id,
        {},
        { already_gone: result.alreadyGone, ended_grants: ids },
      );
      return ids;
    });
  } catch (err) {
    return await failOrRetry(deps, log, job, row, err);
  }
  await afterChange(deps, row);
  for (const id of ended) {
    const grant = await findRequest(deps.sql, id);
    if (grant) await afterChange(deps, grant);
  }
  log.info({ ended_grants: ended }, "access revoked on request");
}
