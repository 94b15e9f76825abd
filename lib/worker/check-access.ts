import {
  accessState,
  closeFailedRevocations,
  recordDriftMissing,
  recordUnattributedDrift,
  reopenObligation,
} from "../db/drift.ts";
import { findRequest, type RequestRow } from "../db/requests.ts";
import { lockAccess } from "../db/transitions.ts";
import type { Logger } from "../logging/logger.ts";
import type { RequestPayload } from "../schemas/request.ts";
import { afterChange } from "./after-change.ts";
import { resolvedOf } from "./canonical-access.ts";
import type { WorkerDeps } from "./worker-deps.ts";

export type CheckOutcome =
  | "skipped"
  | "in_line"
  | "drift_detected"
  | "drift_unattributed"
  | "drift_missing"
  | "confirmed_gone";

/**
 * The drift sweep's look at one access (a "check" job): one cloud read, under the access lock,
 * compared with what PostgreSQL says should be there.
 *   - Ours is there but nothing of ours should hold it: the obligation of the grant that ended
 *     last opens again, due now (DRIFT_DETECTED), and the ordinary revocation removes it.
 *   - Nothing of ours is there: revocations that had FAILED are proven done (REVOKED).
 *   - It should be there and is not (removed out of band): DRIFT_MISSING on the active grants.
 * Where the cloud cannot tell whose an access is (AWS), what is there counts as ours while that
 * is plausible: a FAILED revocation may have left it, and within `driftRevokeAgainMs` of a
 * revocation a late write of ours may have put it back. Past that window, access that reappeared
 * may be someone else's, granted since: it is recorded (DRIFT_DETECTED, left in place) and never
 * removed — the bridge never revokes what it cannot show it granted (guarantee 3).
 */
export async function checkAccess(deps: WorkerDeps, log: Logger, first: RequestRow): Promise<CheckOutcome> {
  // Only a grant's ownership decision sets pre_existing (decideOwnership): a row with it is a
  // grant, and one without (undecided, or refused before any look) has nothing to compare.
  if (first.pre_existing === null) return "skipped";
  const payload = first.request_payload as RequestPayload;
  const { outcome, changed } = await deps.sql.begin(async (tx) => {
    await lockAccess(tx, first.access_key);
    const state = await accessState(tx, first.access_key);
    if (state.transitional) return { outcome: "skipped" as const, changed: [] };
    const expected = state.activeOwn.length > 0 || state.activePreExisting.length > 0;
    const seen = await deps.provider.inspect(
      payload,
      { correlationId: first.correlation_id, resolved: resolvedOf(first), ownCorrelationIds: state.ownIds },
      "check",
    );
    const oursThere = seen.present && seen.ours !== false;
    const detail = { by: "drift_sweep", present: seen.present, ours: seen.ours };
    const attributable =
      seen.ours === true ||
      state.failedRevocations.length > 0 ||
      (state.sinceLastRevokedMs !== null && state.sinceLastRevokedMs <= deps.driftRevokeAgainMs);
    if (!expected && oursThere && state.lastEnded !== undefined && !attributable) {
      await recordUnattributedDrift(tx, state.lastEnded, {
        ...detail,
        action: "left_in_place",
        reason: "the access reappeared after our revocation and the cloud cannot say who applied it",
      });
      return { outcome: "drift_unattributed" as const, changed: [] };
    }
    if (!expected && oursThere && state.lastEnded !== undefined) {
      await reopenObligation(tx, state.lastEnded, detail);
      return { outcome: "drift_detected" as const, changed: [state.lastEnded] };
    }
    if (!oursThere && state.failedRevocations.length > 0) {
      await closeFailedRevocations(tx, state.failedRevocations, { ...detail, already_gone: true });
      return { outcome: "confirmed_gone" as const, changed: state.failedRevocations };
    }
    if (!seen.present && state.activeOwn.length > 0) {
      await recordDriftMissing(tx, state.activeOwn, detail);
      return { outcome: "drift_missing" as const, changed: [] };
    }
    return { outcome: "in_line" as const, changed: [] };
  });
  for (const id of changed) {
    // A reopened obligation is scheduled (due now); a closed one only leaves the cache.
    const row = await findRequest(deps.sql, id);
    if (row) await afterChange(deps, row, row.revocation_status === "SCHEDULED" ? row.revoke_at : null);
  }
  if (outcome === "drift_detected")
    log.error({ reopened: changed }, "DRIFT: access of ours still in the cloud; revoking again");
  else if (outcome === "drift_unattributed")
    log.warn("drift: access reappeared after its revocation, not attributable to us; left in place");
  else if (outcome === "drift_missing")
    log.warn("drift: an active grant's access was removed outside the bridge");
  else log.debug({ outcome }, "access checked");
  return outcome;
}
