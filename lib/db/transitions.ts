// Status changes of a request's own work (a grant, a revoke request). Every change is a
// conditional UPDATE (`WHERE status IN (...)`), so a job delivered twice changes nothing the
// second time, and each appends its request_events row in the same statement. Times are the
// database's (now()): the one clock every expiry decision is taken by.
import type { Db } from "./connect.ts";
import type { RequestRow } from "./requests.ts";

export type Json = Record<string, unknown>;
export const json = (sql: Db, v: Json | null) => (v === null ? null : sql.json(v as never));

export type ClaimedRow = RequestRow & {
  /** revoke_at has passed (database clock). */
  expired: boolean;
  /** ms until revoke_at (database clock); null without one. */
  ms_left: number | null;
  /**
   * Whether another obligation of ours was open on the row's access key when it was claimed: a
   * hint (taken without the access lock) that the decision will need no cloud read.
   */
  own_open: boolean;
  /** The database's clock at the claim, ms: a cloud read after it is newer than any change before. */
  claimed_at_ms: number;
  /** With `wantOwnIds`: every request of ours that may have applied the access (Azure's names). */
  own_ids: string[] | null;
};

/**
 * PENDING → PROCESSING (or a redelivered PROCESSING job) for job chain `jobId`, counting the
 * attempt and taking the row's lease for `leaseMs`. Undefined when the row is final, unknown, or
 * another chain holds a live lease: a duplicate job of another chain then does nothing. One
 * statement also brings what the decision needs (own_open, and own_ids when asked).
 */
export async function claimForProcessing(
  sql: Db,
  id: string,
  jobId: string,
  leaseMs: number,
  wantOwnIds = false,
): Promise<ClaimedRow | undefined> {
  const [row] = await sql<(ClaimedRow & { was: string })[]>`
    WITH prev AS (SELECT status FROM requests WHERE correlation_id = ${id}),
    upd AS (
      UPDATE requests SET status = 'PROCESSING', attempts = attempts + 1, updated_at = now(),
             lease_job = ${jobId}, lease_until = now() + ${leaseMs} * interval '1 millisecond'
      WHERE correlation_id = ${id} AND status IN ('PENDING', 'PROCESSING')
        AND (lease_job IS NULL OR lease_job = ${jobId} OR lease_until < now())
      RETURNING *
    ), ev AS (
      INSERT INTO request_events (correlation_id, kind, from_status, to_status)
      SELECT upd.correlation_id, 'STATUS', prev.status, 'PROCESSING' FROM upd, prev WHERE prev.status = 'PENDING'
    )
    SELECT upd.*, prev.status AS was, coalesce(upd.revoke_at <= now(), false) AS expired,
           (extract(epoch FROM upd.revoke_at - now()) * 1000)::float8 AS ms_left,
           round(extract(epoch FROM now()) * 1000)::float8 AS claimed_at_ms,
           upd.pre_existing IS NULL AND EXISTS (
             SELECT 1 FROM requests o WHERE o.access_key = upd.access_key AND o.pre_existing = false
               AND o.correlation_id <> upd.correlation_id AND o.revocation_status IN ('SCHEDULED', 'FAILED')
           ) AS own_open,
           CASE WHEN ${wantOwnIds} THEN ARRAY(
             SELECT o.correlation_id::text FROM requests o
             WHERE o.access_key = upd.access_key AND o.pre_existing = false
           ) END AS own_ids
    FROM upd, prev`;
  return row;
}

export type Decision =
  /** Recorded (by this call or an earlier attempt): the access pre-existed, or not. */
  | { recorded: boolean }
  /** Could not be decided from what was known: read the cloud (again) and ask once more. */
  | { recorded: null; needRead: true; dbNowMs: number }
  /** The row is no longer PROCESSING: nothing may be decided for it. */
  | { recorded: null; needRead: false };

/**
 * The decision taken once, before the first cloud write: did the access exist already? If not,
 * the grant is ours and its revocation obligation opens here, committed before anything can
 * reach the cloud (revocation_status SCHEDULED, due at revoke_at). One statement, serialised with
 * every other decision and revocation of the access by its advisory lock:
 *   - another obligation of ours open on the access → ours, whatever the cloud shows;
 *   - otherwise `present` (what a cloud read showed; null: no read yet) decides — unless a row of
 *     ours on this access changed since `sinceMs` (when the read began at the latest): a
 *     revocation may have removed what the read saw, so it must be read again.
 * The statement reads rows as of its start, which may be before a holder of the lock commits;
 * what that can hide is only a change this decision would have seen as "ours" anyway, or a
 * drift-sweep reopening (see docs/revocation.md): never a reason to leave access behind. The
 * canonical access key (and what was looked up to build it) is stored in the same statement.
 */
export async function decideOwnership(
  sql: Db,
  args: { id: string; accessKey: string; resolved: Json; present: boolean | null; sinceMs: number },
): Promise<Decision> {
  const { id, accessKey, resolved, present, sinceMs } = args;
  const [row] = await sql<{ recorded: boolean | null; decided: boolean | null; db_now_ms: number }[]>`
    WITH lk AS (SELECT pg_advisory_xact_lock(hashtextextended(${accessKey}, 0)) AS locked),
    own AS (
      SELECT count(*) FILTER (WHERE o.revocation_status IN ('SCHEDULED', 'FAILED')) AS open,
             count(*) FILTER (WHERE o.updated_at >= to_timestamp(${sinceMs}::float8 / 1000)) AS moved
      FROM lk LEFT JOIN requests o ON o.access_key = ${accessKey} AND o.pre_existing = false
        AND o.correlation_id <> ${id}
    ),
    dec AS (
      SELECT CASE
               WHEN own.open > 0 THEN false
               WHEN ${present}::boolean IS NULL THEN NULL
               WHEN ${present}::boolean AND own.moved > 0 THEN NULL
               ELSE ${present}::boolean
             END AS pre,
             own.open AS open
      FROM own
    ),
    upd AS (
      UPDATE requests SET pre_existing = dec.pre, updated_at = now(), access_key = ${accessKey},
             provider_handle = coalesce(provider_handle, '{}'::jsonb) || ${json(sql, resolved)},
             revocation_status = CASE WHEN dec.pre THEN revocation_status ELSE 'SCHEDULED' END
      FROM dec
      WHERE correlation_id = ${id} AND pre_existing IS NULL AND status = 'PROCESSING' AND dec.pre IS NOT NULL
      RETURNING requests.correlation_id, requests.pre_existing, dec.open
    ), ev AS (
      INSERT INTO request_events (correlation_id, kind, detail)
      SELECT correlation_id, CASE WHEN pre_existing THEN 'PRE_EXISTING' ELSE 'OBLIGATION_OPENED' END,
             jsonb_build_object('pre_existing', pre_existing, 'own_obligations', open) FROM upd
    )
    SELECT coalesce((SELECT pre_existing FROM upd), (SELECT pre_existing FROM requests WHERE correlation_id = ${id})) AS recorded,
           (SELECT pre FROM dec) AS decided,
           round(extract(epoch FROM now()) * 1000)::float8 AS db_now_ms`;
  if (row?.recorded !== null && row?.recorded !== undefined) return { recorded: row.recorded };
  if (row?.decided !== null && row?.decided !== undefined) return { recorded: null, needRead: false };
  return { recorded: null, needRead: true, dbNowMs: row?.db_now_ms ?? sinceMs };
}

/**
 * PROCESSING → SUCCESS; returns when the access must end, as it is now (an early revoke may have
 * moved it). A grant's revocation stays SCHEDULED: an obligation opened at the decision, or, for
 * access that pre-existed, a schedule that ends in SKIPPED.
 */
export async function markSucceeded(
  sql: Db,
  id: string,
  handle: Json,
  detail: Json,
): Promise<{ revoke_at: Date | null; revocation_status: string | null } | undefined> {
  const [row] = await sql<{ revoke_at: Date | null; revocation_status: string | null }[]>`
    WITH upd AS (
      UPDATE requests
      SET status = 'SUCCESS', completed_at = now(), updated_at = now(), error_details = NULL,
          provider_handle = coalesce(provider_handle, '{}'::jsonb) || ${json(sql, handle)},
          revocation_status = CASE WHEN action = 'grant' AND revoke_at IS NOT NULL THEN 'SCHEDULED' END,
          lease_job = NULL, lease_until = NULL
      WHERE correlation_id = ${id} AND status = 'PROCESSING'
      RETURNING correlation_id, revoke_at, revocation_status
    ), ev AS (
      INSERT INTO request_events (correlation_id, kind, from_status, to_status, detail)
      SELECT correlation_id, 'STATUS', 'PROCESSING', 'SUCCESS', ${json(sql, detail)} FROM upd
    )
    SELECT revoke_at, revocation_status FROM upd`;
  return row;
}

/**
 * → FAILED. A grant whose obligation is open keeps it: its end moves to now, so the
 * compensating revoke is due at once (the cloud may have applied the access whatever the answer
 * said). Only the job chain holding the row's lease (`jobId`), or any while none holds it, may
 * fail it: a chain the reconciler replaced must not end a row its successor is carrying out.
 * Returns the row's revocation state after the change, or undefined when nothing changed.
 */
export async function markFailed(
  sql: Db,
  id: string,
  errorDetails: Json,
  jobId: string,
): Promise<{ revoke_at: Date | null; revocation_status: string | null } | undefined> {
  const [row] = await sql<{ revoke_at: Date | null; revocation_status: string | null }[]>`
    WITH prev AS (SELECT status FROM requests WHERE correlation_id = ${id}),
    upd AS (
      UPDATE requests
      SET status = 'FAILED', completed_at = now(), updated_at = now(), error_details = ${json(sql, errorDetails)},
          lease_job = NULL, lease_until = NULL,
          revoke_at = CASE WHEN revocation_status = 'SCHEDULED' THEN least(revoke_at, now()) ELSE revoke_at END
      WHERE correlation_id = ${id} AND status IN ('PENDING', 'PROCESSING')
        AND (lease_job IS NULL OR lease_job = ${jobId} OR lease_until < now())
      RETURNING correlation_id, revoke_at, revocation_status
    ), ev AS (
      INSERT INTO request_events (correlation_id, kind, from_status, to_status, detail)
      SELECT upd.correlation_id, 'STATUS', prev.status, 'FAILED', ${json(sql, errorDetails)} FROM upd, prev
    )
    SELECT revoke_at, revocation_status FROM upd`;
  return row;
}

/**
 * A transient failure that will be retried after `delayMs`: audit it and extend the chain's
 * lease past the retry, so the reconciler leaves the row alone meanwhile. False when the chain no
 * longer holds the lease (the reconciler gave the row to a new job): then it must not retry.
 */
export async function recordRetry(
  sql: Db,
  id: string,
  jobId: string,
  leaseMs: number,
  detail: Json,
): Promise<boolean> {
  const rows = await sql`
    WITH upd AS (
      UPDATE requests SET updated_at = now(), lease_until = now() + ${leaseMs} * interval '1 millisecond'
      WHERE correlation_id = ${id} AND lease_job = ${jobId} AND status IN ('PENDING', 'PROCESSING')
      RETURNING correlation_id
    ), ev AS (
      INSERT INTO request_events (correlation_id, kind, detail)
      SELECT correlation_id, 'RETRY', ${json(sql, detail)} FROM upd
    )
    SELECT 1 FROM upd`;
  return rows.length > 0;
}

/** Gives up the row's lease (this chain is done with it without a status change). */
export async function releaseLease(sql: Db, id: string, jobId: string): Promise<void> {
  await sql`UPDATE requests SET lease_job = NULL, lease_until = NULL
            WHERE correlation_id = ${id} AND lease_job = ${jobId}`;
}

/** Serialises every decision about one access across workers, for the transaction's life. */
export async function lockAccess(sql: Db, accessKey: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${accessKey}, 0))`;
}

/** Every request of ours that may have applied this access: the Azure "ours" names come from them. */
export async function ownCorrelationIds(sql: Db, accessKey: string): Promise<string[]> {
  const rows = await sql<{ correlation_id: string }[]>`
    SELECT correlation_id FROM requests WHERE access_key = ${accessKey} AND pre_existing = false`;
  return rows.map((r) => r.correlation_id);
}

/**
 * A revoke request ends every grant of the access: finished ones are REVOKED now; ones still
 * PENDING or PROCESSING have their end moved to now, so their own chain refuses them as expired
 * or revokes right after applying (marking them REVOKED now could leave an attach still in
 * flight with nothing behind it). Returns the ids marked REVOKED.
 */
export async function endGrantsOfAccess(sql: Db, accessKey: string, revokedBy: string): Promise<string[]> {
  // ended_by: who ended them (migration 0006), shown by GET and in the webhooks.
  const endedBy = sql`coalesce(ended_by, jsonb_build_object('how', 'revoke_request', 'request', ${revokedBy}::text,
    'client', (SELECT client FROM requests WHERE correlation_id = ${revokedBy}), 'at', webhook_iso(now())))`;
  await sql`
    UPDATE requests SET revoke_at = least(revoke_at, now()), updated_at = now(), ended_by = ${endedBy}
    WHERE access_key = ${accessKey} AND action = 'grant' AND status IN ('PENDING', 'PROCESSING')`;
  const rows = await sql<{ correlation_id: string }[]>`
    WITH upd AS (
      UPDATE requests SET revocation_status = 'REVOKED', revoked_at = now(), updated_at = now(),
             revoke_at = least(revoke_at, now()), lease_job = NULL, lease_until = NULL, ended_by = ${endedBy}
      WHERE access_key = ${accessKey} AND action = 'grant' AND revocation_status = 'SCHEDULED'
        AND status IN ('SUCCESS', 'FAILED')
      RETURNING correlation_id
    ), ev AS (
      INSERT INTO request_events (correlation_id, kind, from_status, to_status, detail)
      SELECT correlation_id, 'REVOCATION', 'SCHEDULED', 'REVOKED', ${json(sql, { revoked_by: revokedBy })}
      FROM upd
    )
    SELECT correlation_id FROM upd`;
  return rows.map((r) => r.correlation_id);
}
