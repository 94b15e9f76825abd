import type { RequestRow } from "../db/requests.ts";
import {
  type ClaimedRow,
  claimForProcessing,
  decideOwnership,
  lockAccess,
  markFailed,
  markSucceeded,
  ownCorrelationIds,
  ownObligations,
} from "../db/transitions.ts";
import type { Logger } from "../logging/logger.ts";
import type { ProviderCallContext, ProviderHandle } from "../providers/types.ts";
import type { Job } from "../queue/job.ts";
import type { RequestPayload } from "../schemas/request.ts";
import { afterChange } from "./after-change.ts";
import { canonicalAccessOf } from "./canonical-access.ts";
import { failOrRetry } from "./fail-or-retry.ts";
import type { WorkerDeps } from "./worker-deps.ts";

/**
 * Carries out a grant (docs/revocation.md):
 *   claim (lease) → refuse if past its end → canonical access key → decide, under the access
 *   lock and committed, whether the access pre-existed (opening the revocation obligation if not)
 *   → the cloud write (skipped for pre-existing access) → SUCCESS → schedule the revocation.
 * The decision is taken once: a retry after a lost reply or a crash reuses it, and so never takes
 * its own earlier write for pre-existing access.
 */
export async function carryOutGrant(
  deps: WorkerDeps,
  log: Logger,
  job: Job,
  first: RequestRow,
): Promise<void> {
  if (first.status === "SUCCESS" || first.status === "FAILED") return; // duplicate delivery
  const row = await claimForProcessing(deps.sql, first.correlation_id, job.id, deps.leaseMs);
  if (!row) return log.debug("request final or held by another job chain; nothing to do");
  await afterChange(deps, row);

  if (row.attempts > deps.maxHandlings) {
    return await failWithoutCloud(deps, log, row, {
      code: "attempts_exhausted",
      message: `handled ${row.attempts - 1} times without an answer (its worker may have crashed on it each time)`,
    });
  }
  if (row.expired) {
    // Granting access that has already ended would only open a window; refuse it. If an earlier
    // attempt may have reached the cloud, the obligation it opened revokes whatever it applied.
    return await failWithoutCloud(deps, log, row, {
      code: row.pre_existing === false ? "expired_during_processing" : "expired_before_processing",
      message:
        row.pre_existing === false
          ? "the grant ended before its cloud call was confirmed; whatever it applied is being revoked"
          : "the grant's expiry passed before a worker could apply it",
    });
  }

  const payload = row.request_payload as RequestPayload;
  let done: Awaited<ReturnType<typeof markSucceeded>>;
  try {
    const access = await canonicalAccessOf(deps, row, payload);
    const ctx: ProviderCallContext = { correlationId: row.correlation_id, resolved: access.resolved };
    const preExisting = row.pre_existing ?? (await decide(deps, row, payload, access.accessKey, ctx));
    const handle: ProviderHandle = preExisting
      ? { pre_existing: true }
      : { ...(await deps.provider.grant(payload, ctx)).handle, pre_existing: false };
    done = await markSucceeded(deps.sql, row.correlation_id, handle, { pre_existing: preExisting });
  } catch (err) {
    return await failOrRetry(deps, log, job, row, err);
  }
  await afterChange(deps, row, done?.revoke_at);
  log.info({ applied: done !== undefined }, "grant applied");
}

/**
 * Was the access there before this grant? Taken under the access lock, so that concurrent grants
 * and revocations of the same access see each other's decisions. While another obligation of
 * ours is open on the access, what the cloud holds is ours: no cloud read is needed. Otherwise one
 * read decides; on Azure an assignment of ours (a leftover) does not count as pre-existing.
 */
async function decide(
  deps: WorkerDeps,
  row: ClaimedRow,
  payload: RequestPayload,
  accessKey: string,
  ctx: ProviderCallContext,
): Promise<boolean> {
  return await deps.sql.begin(async (tx) => {
    await lockAccess(tx, accessKey);
    const own = await ownObligations(tx, accessKey, row.correlation_id);
    let preExisting = false;
    if (own.length === 0) {
      const seen = await deps.provider.inspect(
        payload,
        { ...ctx, ownCorrelationIds: await ownCorrelationIds(tx, accessKey) },
        "grant",
      );
      preExisting = seen.present && seen.ours !== true;
    }
    const recorded = await decideOwnership(tx, row.correlation_id, preExisting, {
      pre_existing: preExisting,
      ...(own.length > 0 ? { overlaps: own } : {}),
    });
    if (recorded === undefined) throw new Error("request left PROCESSING while its ownership was decided");
    return recorded;
  });
}

/** FAILED for a reason of ours, not the cloud's; an obligation already open is kept. */
async function failWithoutCloud(
  deps: WorkerDeps,
  log: Logger,
  row: ClaimedRow,
  details: { code: string; message: string },
): Promise<void> {
  const failed = await markFailed(
    deps.sql,
    row.correlation_id,
    { ...details, provider: row.cloud_provider },
    row.lease_job ?? "",
  );
  await afterChange(deps, row, failed?.revocation_status === "SCHEDULED" ? failed.revoke_at : null);
  log.warn(
    { error_details: details, obligation: failed?.revocation_status === "SCHEDULED" },
    "request failed",
  );
}
