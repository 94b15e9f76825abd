import {
  type ClaimedRow,
  claimForProcessing,
  decideOwnership,
  markFailed,
  markSucceeded,
} from "../db/transitions.ts";
import type { Logger } from "../logging/logger.ts";
import { type ProviderCallContext, ProviderError, type ProviderHandle } from "../providers/types.ts";
import type { Job } from "../queue/job.ts";
import type { RequestPayload } from "../schemas/request.ts";
import { afterChange } from "./after-change.ts";
import { canonicalAccessOf } from "./canonical-access.ts";
import { failOrRetry } from "./fail-or-retry.ts";
import type { WorkerDeps } from "./worker-deps.ts";

/**
 * Carries out a grant (docs/revocation.md), in three statements and the fewest cloud calls:
 *   claim (lease; refused if past its end) → decide, under the access lock, whether the access
 *   pre-existed, opening the revocation obligation if not — no cloud read when another obligation
 *   of ours already answers, else one read before the decision → the cloud write (none for
 *   pre-existing access) → SUCCESS → schedule the revocation.
 * The decision is taken once: a retry after a lost reply or a crash reuses it, and so never takes
 * its own earlier write for pre-existing access.
 */
export async function carryOutGrant(deps: WorkerDeps, log: Logger, job: Job): Promise<void> {
  const row = await claimForProcessing(
    deps.sql,
    job.correlation_id,
    job.id,
    deps.leaseMs,
    deps.provider.attributable,
  );
  if (!row) return log.debug("request final, unknown or held by another job chain; nothing to do");

  if (row.attempts > deps.maxHandlings) {
    return await failWithoutCloud(deps, log, job, row, {
      code: "attempts_exhausted",
      message: `handled ${row.attempts - 1} times without an answer (its worker may have crashed on it each time)`,
    });
  }
  if (row.expired) {
    // Granting access that has already ended would only open a window; refuse it. If an earlier
    // attempt may have reached the cloud, the obligation it opened revokes whatever it applied.
    return await failWithoutCloud(deps, log, job, row, {
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
    const ctx: ProviderCallContext = {
      correlationId: row.correlation_id,
      resolved: access.resolved,
      ...(row.own_ids ? { ownCorrelationIds: row.own_ids } : {}),
    };
    const preExisting = row.pre_existing ?? (await decide(deps, row, payload, access, ctx));
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

/** Decisions asked again before giving up (each after a fresh read): concurrent changes are rare. */
const DECISION_ROUNDS = 3;

/**
 * Was the access there before this grant? While another obligation of ours is open on the access
 * (the claim's hint, confirmed under the lock), what the cloud holds is ours: no read. Otherwise
 * one read, then the decision; if a revocation of ours on the same access ran meanwhile, the read
 * may be stale, and it is taken again. On Azure an assignment of ours (a leftover) is not
 * pre-existing; AWS cannot tell, so what is there is.
 */
async function decide(
  deps: WorkerDeps,
  row: ClaimedRow,
  payload: RequestPayload,
  access: { accessKey: string; resolved: Record<string, string | number | boolean | null> },
  ctx: ProviderCallContext,
): Promise<boolean> {
  let present: boolean | null = null;
  let sinceMs = row.claimed_at_ms;
  if (!row.own_open) ({ present, sinceMs } = await read(deps, payload, ctx, sinceMs));
  for (let round = 0; round < DECISION_ROUNDS; round++) {
    const d = await decideOwnership(deps.sql, {
      id: row.correlation_id,
      accessKey: access.accessKey,
      resolved: access.resolved,
      present,
      sinceMs,
    });
    if (d.recorded !== null) return d.recorded;
    if (!d.needRead) throw new Error("request left PROCESSING while its ownership was decided");
    ({ present, sinceMs } = await read(deps, payload, ctx, d.dbNowMs));
  }
  // Kept racing with revocations of the same access: try again later, as for a throttle.
  throw new ProviderError({
    code: "provider_transient",
    retryable: true,
    providerCode: "DecisionRaced",
    providerMessage: "the access changed under every read; the decision is taken on the next attempt",
  });
}

/**
 * One look at the cloud for the decision, newer than `sinceMs` (database clock). A listing of the
 * same principal already in flight may answer it: then the answer is only known to be newer
 * than the moment that listing's own caller began, and the decision checks from then.
 */
async function read(
  deps: WorkerDeps,
  payload: RequestPayload,
  ctx: ProviderCallContext,
  sinceMs: number,
): Promise<{ present: boolean; sinceMs: number }> {
  const seen = await deps.provider.inspect(payload, { ...ctx, readTag: sinceMs }, "grant");
  return { present: seen.present && seen.ours !== true, sinceMs: Math.min(sinceMs, seen.readTag ?? sinceMs) };
}

/** FAILED for a reason of ours, not the cloud's; an obligation already open is kept. */
async function failWithoutCloud(
  deps: WorkerDeps,
  log: Logger,
  job: Job,
  row: ClaimedRow,
  details: { code: string; message: string },
): Promise<void> {
  // The claim gave this job's chain the lease: only it may fail the row.
  const failed = await markFailed(
    deps.sql,
    row.correlation_id,
    { ...details, provider: row.cloud_provider },
    job.id,
  );
  await afterChange(deps, row, failed?.revocation_status === "SCHEDULED" ? failed.revoke_at : null);
  log.warn(
    { error_details: details, obligation: failed?.revocation_status === "SCHEDULED" },
    "request failed",
  );
}
