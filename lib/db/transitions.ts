// Every status change is a conditional UPDATE (`WHERE status IN (...)`), so a job delivered twice
// changes nothing the second time; each change appends its request_events row in the same statement.
import type { Db } from "./connect.ts";
import type { RequestRow } from "./requests.ts";

type Json = Record<string, unknown>;
const json = (sql: Db, v: Json | null) => (v === null ? null : sql.json(v as never));

/** PENDING → PROCESSING (or a redelivered PROCESSING job): counts the attempt. */
export async function startProcessing(sql: Db, id: string): Promise<RequestRow | undefined> {
  const [row] = await sql<(RequestRow & { was: string })[]>`
    WITH prev AS (SELECT status FROM requests WHERE correlation_id = ${id}),
    upd AS (
      UPDATE requests SET status = 'PROCESSING', attempts = attempts + 1, updated_at = now()
      WHERE correlation_id = ${id} AND status IN ('PENDING', 'PROCESSING')
      RETURNING *
    ), ev AS (
      INSERT INTO request_events (correlation_id, kind, from_status, to_status)
      SELECT upd.correlation_id, 'STATUS', prev.status, 'PROCESSING' FROM upd, prev WHERE prev.status = 'PENDING'
    )
    SELECT upd.*, prev.status AS was FROM upd, prev`;
  return row;
}

/** PROCESSING → SUCCESS; returns the expiry as it is now (an early revoke may have moved it). */
export async function markSucceeded(
  sql: Db,
  id: string,
  handle: Json,
  detail: Json,
): Promise<{ expires_at: Date | null } | undefined> {
  const [row] = await sql<{ expires_at: Date | null }[]>`
    WITH upd AS (
      UPDATE requests
      SET status = 'SUCCESS', completed_at = now(), updated_at = now(), error_details = NULL,
          provider_handle = ${json(sql, handle)},
          revocation_status = CASE WHEN action = 'grant' AND expires_at IS NOT NULL THEN 'SCHEDULED' END
      WHERE correlation_id = ${id} AND status = 'PROCESSING'
      RETURNING correlation_id, expires_at
    ), ev AS (
      INSERT INTO request_events (correlation_id, kind, from_status, to_status, detail)
      SELECT correlation_id, 'STATUS', 'PROCESSING', 'SUCCESS', ${json(sql, detail)} FROM upd
    )
    SELECT expires_at FROM upd`;
  return row;
}

export async function markFailed(sql: Db, id: string, errorDetails: Json): Promise<boolean> {
  const rows = await sql`
    WITH prev AS (SELECT status FROM requests WHERE correlation_id = ${id}),
    upd AS (
      UPDATE requests
      SET status = 'FAILED', completed_at = now(), updated_at = now(), error_details = ${json(sql, errorDetails)}
      WHERE correlation_id = ${id} AND status IN ('PENDING', 'PROCESSING')
      RETURNING correlation_id
    ), ev AS (
      INSERT INTO request_events (correlation_id, kind, from_status, to_status, detail)
      SELECT upd.correlation_id, 'STATUS', prev.status, 'FAILED', ${json(sql, errorDetails)} FROM upd, prev
    )
    SELECT 1 FROM upd`;
  return rows.length > 0;
}

/** A transient failure that will be retried: audit it and keep the row fresh for the reconciler. */
export async function recordRetry(sql: Db, id: string, detail: Json): Promise<void> {
  await sql`
    WITH upd AS (
      UPDATE requests SET updated_at = now() WHERE correlation_id = ${id} RETURNING correlation_id
    )
    INSERT INTO request_events (correlation_id, kind, detail)
    SELECT correlation_id, 'RETRY', ${json(sql, detail)} FROM upd`;
}

export type RevocationOutcome = "REVOKED" | "FAILED" | "SKIPPED";

/** SCHEDULED → REVOKED / FAILED / SKIPPED, once. */
export async function finishRevocation(
  sql: Db,
  id: string,
  outcome: RevocationOutcome,
  detail: Json,
): Promise<boolean> {
  const rows = await sql`
    WITH upd AS (
      UPDATE requests
      SET revocation_status = ${outcome}, updated_at = now(),
          revoked_at = CASE WHEN ${outcome} = 'REVOKED' THEN now() END,
          revocation_error = CASE WHEN ${outcome} = 'FAILED' THEN ${json(sql, detail)}::jsonb END
      WHERE correlation_id = ${id} AND revocation_status = 'SCHEDULED'
      RETURNING correlation_id
    ), ev AS (
      INSERT INTO request_events (correlation_id, kind, from_status, to_status, detail)
      SELECT correlation_id, 'REVOCATION', 'SCHEDULED', ${outcome}, ${json(sql, detail)} FROM upd
    )
    SELECT 1 FROM upd`;
  return rows.length > 0;
}

/**
 * Active grants of one access that the bridge itself applied (not ones that found the access
 * already there): while any is active, the access must stay.
 */
export async function activeOwnGrants(sql: Db, accessKey: string, exceptId: string): Promise<RequestRow[]> {
  return await sql<RequestRow[]>`
    SELECT * FROM requests
    WHERE access_key = ${accessKey} AND status = 'SUCCESS' AND action = 'grant'
      AND revocation_status = 'SCHEDULED' AND correlation_id <> ${exceptId}
      AND coalesce((provider_handle ->> 'pre_existing')::boolean, false) = false
    ORDER BY expires_at DESC`;
}

/** Active grants of one access, own or pre-existing: a revoke request ends them all. */
export async function activeGrants(sql: Db, accessKey: string): Promise<RequestRow[]> {
  return await sql<RequestRow[]>`
    SELECT * FROM requests
    WHERE access_key = ${accessKey} AND status = 'SUCCESS' AND action = 'grant' AND revocation_status = 'SCHEDULED'`;
}

/** Serialises every grant and revoke of one access across workers, for the transaction's life. */
export async function lockAccess(sql: Db, accessKey: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${accessKey}, 0))`;
}

/**
 * Requests still PENDING or PROCESSING whose row has not moved for `graceMs`: their job may have
 * been lost (Redis wiped, or the API died between INSERT and LPUSH). Claims a batch by bumping
 * updated_at, so concurrent reconcilers never take the same rows and each row is re-queued at
 * most once per grace period.
 */
export async function claimStaleRequests(sql: Db, graceMs: number, limit: number): Promise<RequestRow[]> {
  return await sql<RequestRow[]>`
    UPDATE requests SET updated_at = now()
    WHERE correlation_id IN (
      SELECT correlation_id FROM requests
      WHERE status IN ('PENDING', 'PROCESSING') AND updated_at < now() - ${graceMs} * interval '1 millisecond'
      ORDER BY updated_at
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    RETURNING *`;
}

/** Active grants (revocation SCHEDULED) after `afterId`, in id order: the revocation schedule's truth. */
export async function scheduledGrants(sql: Db, afterId: string, limit: number): Promise<RequestRow[]> {
  return await sql<RequestRow[]>`
    SELECT * FROM requests
    WHERE revocation_status = 'SCHEDULED' AND correlation_id > ${afterId}
    ORDER BY correlation_id
    LIMIT ${limit}`;
}
