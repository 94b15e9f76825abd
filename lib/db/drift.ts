// What the drift sweep compares the cloud against (docs/revocation.md, "drift sweep").
import type { Db } from "./connect.ts";
import { type Json, json } from "./transitions.ts";

export interface AccessState {
  /** Something about the access is in motion (a grant being applied, a revocation due): do not judge now. */
  transitional: boolean;
  /** Grants of ours that are active: the access should be there. */
  activeOwn: string[];
  /** Active grants that found the access already there: it should be there, not by us. */
  activePreExisting: string[];
  /** Rows whose revocation ended FAILED: access of ours may have been left behind. */
  failedRevocations: string[];
  /** The row of ours that ended last (FAILED revocation first, then the latest REVOKED). */
  lastEnded: string | undefined;
  /** ms since the latest REVOKED row of ours was revoked (database clock); null without one. */
  sinceLastRevokedMs: number | null;
  /** Every request of ours that may have applied the access. */
  ownIds: string[];
}

export async function accessState(sql: Db, accessKey: string): Promise<AccessState> {
  const rows = await sql<
    {
      correlation_id: string;
      status: string;
      pre_existing: boolean;
      revocation_status: string | null;
      active: boolean;
      due: boolean;
      revoked_at: Date | null;
      since_revoked_ms: number | null;
    }[]
  >`
    SELECT correlation_id, status, pre_existing, revocation_status, revoked_at,
           coalesce(revoke_at > now(), false) AS active, coalesce(revoke_at <= now(), false) AS due,
           (extract(epoch FROM now() - revoked_at) * 1000)::float8 AS since_revoked_ms
    FROM requests
    WHERE access_key = ${accessKey} AND pre_existing IS NOT NULL AND action = 'grant'`;
  const scheduled = rows.filter((r) => r.revocation_status === "SCHEDULED");
  const failed = rows.filter((r) => r.revocation_status === "FAILED" && r.pre_existing === false);
  const revoked = rows
    .filter((r) => r.revocation_status === "REVOKED" && r.pre_existing === false && r.revoked_at !== null)
    .sort((a, b) => (b.revoked_at?.getTime() ?? 0) - (a.revoked_at?.getTime() ?? 0));
  return {
    transitional:
      rows.some((r) => r.status === "PENDING" || r.status === "PROCESSING") || scheduled.some((r) => r.due),
    activeOwn: scheduled.filter((r) => r.active && !r.pre_existing).map((r) => r.correlation_id),
    activePreExisting: scheduled.filter((r) => r.active && r.pre_existing).map((r) => r.correlation_id),
    failedRevocations: failed.map((r) => r.correlation_id),
    lastEnded: failed[0]?.correlation_id ?? revoked[0]?.correlation_id,
    sinceLastRevokedMs: revoked[0]?.since_revoked_ms ?? null,
    ownIds: rows.filter((r) => !r.pre_existing).map((r) => r.correlation_id),
  };
}

/**
 * Access of ours is in the cloud though nothing of ours should hold it: the obligation of the row
 * that ended last opens again, due now, and the drift is recorded on it.
 */
export async function reopenObligation(sql: Db, id: string, detail: Json): Promise<boolean> {
  const rows = await sql`
    WITH prev AS (SELECT revocation_status FROM requests WHERE correlation_id = ${id}),
    upd AS (
      UPDATE requests SET revocation_status = 'SCHEDULED', revoke_at = least(revoke_at, now()),
             revoked_at = NULL, revocation_error = NULL, lease_job = NULL, lease_until = NULL, updated_at = now()
      WHERE correlation_id = ${id} AND revocation_status IN ('REVOKED', 'FAILED') AND pre_existing = false
      RETURNING correlation_id
    ), ev AS (
      INSERT INTO request_events (correlation_id, kind, from_status, to_status, detail)
      SELECT upd.correlation_id, 'DRIFT_DETECTED', prev.revocation_status, 'SCHEDULED', ${json(sql, detail)}
      FROM upd, prev
    )
    SELECT 1 FROM upd`;
  return rows.length > 0;
}

/**
 * Access is in the cloud that nothing of ours should hold, and the cloud cannot say whose it is,
 * long after our revocation proved ours removed: recorded (it reaches the caller as
 * drift.detected), but not removed — it may be someone else's, granted since.
 */
export async function recordUnattributedDrift(sql: Db, id: string, detail: Json): Promise<void> {
  await sql`INSERT INTO request_events (correlation_id, kind, detail)
            VALUES (${id}, 'DRIFT_DETECTED', ${json(sql, detail)})`;
}

/** The cloud no longer holds our access: revocations that had FAILED are proven done. */
export async function closeFailedRevocations(sql: Db, ids: readonly string[], detail: Json): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await sql`
    WITH upd AS (
      UPDATE requests SET revocation_status = 'REVOKED', revoked_at = now(), updated_at = now()
      WHERE correlation_id IN ${sql(ids as string[])} AND revocation_status = 'FAILED'
      RETURNING correlation_id
    ), ev AS (
      INSERT INTO request_events (correlation_id, kind, from_status, to_status, detail)
      SELECT correlation_id, 'REVOCATION', 'FAILED', 'REVOKED', ${json(sql, detail)} FROM upd
    )
    SELECT 1 FROM upd`;
  return rows.length;
}

/** Active grants of ours whose access is gone from the cloud (removed out of band): recorded once each. */
export async function recordDriftMissing(sql: Db, ids: readonly string[], detail: Json): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await sql`
    INSERT INTO request_events (correlation_id, kind, detail)
    SELECT r.correlation_id, 'DRIFT_MISSING', ${json(sql, detail)} FROM requests r
    WHERE r.correlation_id IN ${sql(ids as string[])}
      AND NOT EXISTS (SELECT 1 FROM request_events e
                      WHERE e.correlation_id = r.correlation_id AND e.kind = 'DRIFT_MISSING')
    RETURNING 1`;
  return rows.length;
}

export interface SweepTarget {
  access_key: string;
  correlation_id: string;
  cloud_provider: "aws" | "azure";
}

/**
 * One row per access the sweep must look at, after `afterKey` in key order: every open
 * obligation of an applied grant, every FAILED revocation, every revocation of the last
 * `recentMs`. Each arm uses its own partial index.
 */
export async function sweepTargets(
  sql: Db,
  afterKey: string,
  recentMs: number,
  limit: number,
): Promise<SweepTarget[]> {
  return await sql<SweepTarget[]>`
    SELECT DISTINCT ON (access_key) access_key, correlation_id, cloud_provider FROM (
      SELECT access_key, correlation_id, cloud_provider FROM requests
      WHERE revocation_status = 'SCHEDULED' AND revoke_at > now() AND status = 'SUCCESS' AND pre_existing = false
      UNION ALL
      SELECT access_key, correlation_id, cloud_provider FROM requests
      WHERE revocation_status = 'FAILED' AND pre_existing = false
      UNION ALL
      SELECT access_key, correlation_id, cloud_provider FROM requests
      WHERE revocation_status = 'REVOKED' AND revoked_at > now() - ${recentMs} * interval '1 millisecond'
        AND pre_existing = false
    ) t
    WHERE access_key > ${afterKey}
    ORDER BY access_key, correlation_id
    LIMIT ${limit}`;
}
