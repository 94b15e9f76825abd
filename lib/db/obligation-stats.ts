// Counts behind the revocation and backlog gauges (lib/metrics/state-gauges.ts). Each arm reads
// a partial index (requests_revoke_due_idx, requests_revocation_failed_idx, requests_pending_idx),
// so the cost follows the number of open obligations, not the size of the table.
import type { Db } from "./connect.ts";

export interface RevocationStats {
  provider: "aws" | "azure";
  /** Open revocation obligations: SCHEDULED grants of ours (pre_existing = false). */
  open: number;
  /** SCHEDULED revocations whose revoke_at has come (by the database clock). */
  due: number;
  /** Open obligations due more than `lateAfterMs` ago: access that should have ended. */
  late: number;
  /** Seconds since the revoke_at of the oldest due obligation; 0 when none is due. */
  oldestDueSeconds: number;
  /** Revocations that ended FAILED (access may still be in place; the drift sweep watches them). */
  failed: number;
}

export interface BacklogStats {
  provider: "aws" | "azure";
  status: "PENDING" | "PROCESSING";
  count: number;
  /** Seconds since the oldest of them last changed. */
  oldestSeconds: number;
}

export async function revocationStats(sql: Db, lateAfterMs: number): Promise<RevocationStats[]> {
  const rows = await sql<
    {
      provider: "aws" | "azure";
      open: number;
      due: number;
      late: number;
      oldest_due_s: number;
      failed: number;
    }[]
  >`
    WITH scheduled AS (
      SELECT cloud_provider AS provider,
             count(*) FILTER (WHERE pre_existing = false)::int AS open,
             count(*) FILTER (WHERE revoke_at <= now())::int AS due,
             count(*) FILTER (WHERE pre_existing = false
                                AND revoke_at <= now() - ${lateAfterMs} * interval '1 millisecond')::int AS late,
             coalesce(extract(epoch FROM now() - min(revoke_at) FILTER (
               WHERE pre_existing = false AND revoke_at <= now())), 0)::float8 AS oldest_due_s
      FROM requests WHERE revocation_status = 'SCHEDULED' GROUP BY cloud_provider
    ), failed AS (
      SELECT cloud_provider AS provider, count(*)::int AS failed
      FROM requests WHERE revocation_status = 'FAILED' GROUP BY cloud_provider
    )
    SELECT p.provider, coalesce(s.open, 0) AS open, coalesce(s.due, 0) AS due, coalesce(s.late, 0) AS late,
           coalesce(s.oldest_due_s, 0) AS oldest_due_s, coalesce(f.failed, 0) AS failed
    FROM (VALUES ('aws'), ('azure')) AS p (provider)
    LEFT JOIN scheduled s ON s.provider = p.provider
    LEFT JOIN failed f ON f.provider = p.provider`;
  return rows.map((r) => ({
    provider: r.provider,
    open: r.open,
    due: r.due,
    late: r.late,
    oldestDueSeconds: Number(r.oldest_due_s),
    failed: r.failed,
  }));
}

export async function backlogStats(sql: Db): Promise<BacklogStats[]> {
  const rows = await sql<
    { provider: "aws" | "azure"; status: "PENDING" | "PROCESSING"; count: number; oldest_s: number }[]
  >`
    SELECT cloud_provider AS provider, status, count(*)::int AS count,
           extract(epoch FROM now() - min(updated_at))::float8 AS oldest_s
    FROM requests WHERE status IN ('PENDING', 'PROCESSING') GROUP BY cloud_provider, status`;
  return rows.map((r) => ({ ...r, oldestSeconds: Number(r.oldest_s) }));
}
