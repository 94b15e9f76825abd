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
};

/**
 * PENDING → PROCESSING (or a redelivered PROCESSING job) for job chain `jobId`, counting the
 * attempt and taking the row's lease for `leaseMs`. Undefined when the row is final, or another
 * chain holds a live lease: a duplicate job of another chain then does nothing.
 */
export async function claimForProcessing(
  sql: Db,
  id: string,
  jobId: string,
  leaseMs: number,
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
           (extract(epoch FROM upd.revoke_at - now()) * 1000)::float8 AS ms_left
    FROM upd, prev`;
  return row;
}

/**
 * Stores the canonical access key (and what was looked up to build it) while nothing about the
 * access has been decided yet: every decision is taken under the canonical key's lock.
 */
export async function setCanonicalAccess(
  sql: Db,
  id: string,
  accessKey: string,
  resolved: Json,
): Promise<void> {
  await sql`
    UPDATE requests SET access_key = ${accessKey},
           provider_handle = coalesce(provider_handle, '{}'::jsonb) || ${json(sql, resolved)}
    WHERE correlation_id = ${id} AND pre_existing IS NULL`;
}

/**
 * The decision taken once, under the access lock, before the first cloud write: was the access
 * there already? If not, the grant is ours and its revocation obligation opens here, committed
 * before anything can reach the cloud (revocation_status SCHEDULED, due at revoke_at). Returns the
 * recorded answer (an earlier attempt's, if one was recorded first).
 */
export async function decideOwnership(
  sql: Db,
  id: string,
  preExisting: boolean,
  detail: Json,
): Promise<boolean | undefined> {
  const [row] = await sql<{ pre_existing: boolean }[]>`
    WITH upd AS (
      UPDATE requests SET pre_existing = ${preExisting}, updated_at = now(),
             revocation_status = CASE WHEN ${preExisting} THEN revocation_status ELSE 'SCHEDULED' END
      WHERE correlation_id = ${id} AND pre_existing IS NULL AND status = 'PROCESSING'
      RETURNING correlation_id, pre_existing
    ), ev AS (
      INSERT INTO request_events (correlation_id, kind, detail)
      SELECT correlation_id, CASE WHEN ${preExisting} THEN 'PRE_EXISTING' ELSE 'OBLIGATION_OPENED' END,
             ${json(sql, detail)} FROM upd
    )
    SELECT pre_existing FROM upd
    UNION ALL
    SELECT pre_existing FROM requests WHERE correlation_id = ${id} AND pre_existing IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM upd)`;
  return row?.pre_existing;
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

/**
 * Our open or unfinished obligations on an access, other than `exceptId`: grants of ours that
 * may hold it (SCHEDULED), or whose revocation failed and may have left it (FAILED). While one
 * exists, the access in the cloud is ours, not pre-existing.
 */
export async function ownObligations(sql: Db, accessKey: string, exceptId: string): Promise<string[]> {
  const rows = await sql<{ correlation_id: string }[]>`
    SELECT correlation_id FROM requests
    WHERE access_key = ${accessKey} AND pre_existing = false AND correlation_id <> ${exceptId}
      AND revocation_status IN ('SCHEDULED', 'FAILED')`;
  return rows.map((r) => r.correlation_id);
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
