// The revocation side of a grant's life (docs/revocation.md): the chain that carries out a due
// obligation, its lease, and how it ends. Conditional UPDATEs on revocation_status, as for status.
import type { Db } from "./connect.ts";
import type { RequestRow } from "./requests.ts";
import { type Json, json } from "./transitions.ts";

export type RevocationOutcome = "REVOKED" | "FAILED" | "SKIPPED";

export type RevocationClaim = RequestRow & {
  /** revoke_at has come (database clock; a little early counts, promotion is not exact). */
  due: boolean;
};

/**
 * Inside the revocation's transaction: takes the lease of a grant's pending revocation for job
 * chain `jobId` and the access lock, in one statement. Undefined when there is nothing to revoke
 * (not SCHEDULED, or the grant itself is still being carried out: its own chain ends in the
 * revocation) or another chain holds a live lease. Statements after it read a snapshot taken
 * after the lock, so they see every decision and revocation of the access committed before.
 */
export async function claimRevocation(
  sql: Db,
  id: string,
  jobId: string,
  leaseMs: number,
): Promise<RevocationClaim | undefined> {
  const [row] = await sql<(RevocationClaim & { locked: unknown })[]>`
    UPDATE requests SET lease_job = ${jobId}, lease_until = now() + ${leaseMs} * interval '1 millisecond'
    WHERE correlation_id = ${id} AND action = 'grant' AND revocation_status = 'SCHEDULED'
      AND status IN ('SUCCESS', 'FAILED')
      AND (lease_job IS NULL OR lease_job = ${jobId} OR lease_until < now())
    RETURNING *, coalesce(revoke_at <= now() + interval '500 milliseconds', true) AS due,
              pg_advisory_xact_lock(hashtextextended(access_key, 0)) AS locked`;
  return row;
}

/**
 * Under the access lock: the grant of ours that still needs the access after `exceptId` ends (an
 * open obligation whose end is later than now, on a grant applied or being applied; the one ending
 * last, so a hand-over chain stays short), and, with `wantOwnIds`, every request of ours that may
 * have applied the access. One statement.
 */
export async function revocationState(
  sql: Db,
  accessKey: string,
  exceptId: string,
  wantOwnIds: boolean,
): Promise<{ heir: string | null; ownIds: string[] | null }> {
  const [row] = await sql<{ heir: string | null; own_ids: string[] | null }[]>`
    SELECT (SELECT correlation_id FROM requests
            WHERE access_key = ${accessKey} AND pre_existing = false AND revocation_status = 'SCHEDULED'
              AND status IN ('PROCESSING', 'SUCCESS') AND revoke_at > now() AND correlation_id <> ${exceptId}
            ORDER BY revoke_at DESC LIMIT 1) AS heir,
           CASE WHEN ${wantOwnIds} THEN ARRAY(
             SELECT correlation_id::text FROM requests WHERE access_key = ${accessKey} AND pre_existing = false
           ) END AS own_ids`;
  return { heir: row?.heir ?? null, ownIds: row?.own_ids ?? null };
}

/**
 * SCHEDULED → REVOKED / FAILED / SKIPPED, once; the lease goes with it. Returns how late the
 * access ended after revoke_at, ms on the database clock (the one revoke_at was set by), or
 * undefined when the revocation was not SCHEDULED any more.
 */
export async function finishRevocation(
  sql: Db,
  id: string,
  outcome: RevocationOutcome,
  detail: Json,
  /** A cloud call was made for it (counted in revocation_attempts). */
  attempted = false,
): Promise<{ lateMs: number } | undefined> {
  const [row] = await sql<{ late_ms: number }[]>`
    WITH upd AS (
      UPDATE requests
      SET revocation_status = ${outcome}, updated_at = now(), lease_job = NULL, lease_until = NULL,
          revocation_attempts = revocation_attempts + CASE WHEN ${attempted} THEN 1 ELSE 0 END,
          revoked_at = CASE WHEN ${outcome} = 'REVOKED' THEN now() END,
          revocation_error = CASE WHEN ${outcome} = 'FAILED' THEN ${json(sql, detail)}::jsonb END
      WHERE correlation_id = ${id} AND revocation_status = 'SCHEDULED'
      RETURNING correlation_id, revoke_at
    ), ev AS (
      INSERT INTO request_events (correlation_id, kind, from_status, to_status, detail)
      SELECT correlation_id, 'REVOCATION', 'SCHEDULED', ${outcome}, ${json(sql, detail)} FROM upd
    )
    SELECT coalesce(greatest(extract(epoch FROM now() - revoke_at) * 1000, 0), 0)::float8 AS late_ms FROM upd`;
  return row === undefined ? undefined : { lateMs: row.late_ms };
}

/**
 * A revocation attempt failed transiently and runs again after the delay: audit it,
 * and extend the lease past the retry so no second chain starts meanwhile. False when this chain
 * lost the lease (the reconciler gave the revocation to a new job): then it must stop.
 */
export async function recordRevocationRetry(
  sql: Db,
  id: string,
  jobId: string,
  leaseMs: number,
  detail: Json,
): Promise<boolean> {
  const rows = await sql`
    WITH upd AS (
      UPDATE requests SET updated_at = now(), lease_until = now() + ${leaseMs} * interval '1 millisecond',
             revocation_attempts = revocation_attempts + 1
      WHERE correlation_id = ${id} AND lease_job = ${jobId} AND revocation_status = 'SCHEDULED'
      RETURNING correlation_id
    ), ev AS (
      INSERT INTO request_events (correlation_id, kind, detail)
      SELECT correlation_id, 'REVOCATION_RETRY', ${json(sql, detail)} FROM upd
    )
    SELECT 1 FROM upd`;
  return rows.length > 0;
}
