import type { Db } from "./connect.ts";
import { and } from "./list-requests.ts";

/** Buckets are aligned to multiples of their size since this instant (a Monday, UTC midnight). */
export const BUCKET_ORIGIN = "2000-01-03T00:00:00Z";

export interface BucketCount {
  bucket: Date;
  cloud_provider: "aws" | "azure";
  status: "PENDING" | "PROCESSING" | "SUCCESS" | "FAILED";
  n: number;
}

const visible = (sql: Db, visibleTo: { client: string } | null) =>
  visibleTo ? [sql`client = ${visibleTo.client}`] : [];

/** Requests received in [from, to) per bucket × provider × status (only non-empty cells). */
export async function countByBucket(
  sql: Db,
  w: { from: string; to: string; bucketSeconds: number; visibleTo: { client: string } | null },
): Promise<BucketCount[]> {
  return await sql<BucketCount[]>`
    SELECT date_bin(${w.bucketSeconds} * interval '1 second', received_at, ${BUCKET_ORIGIN}::timestamptz) AS bucket,
           cloud_provider, status, count(*)::int AS n
    FROM requests
    WHERE ${and(sql, [
      sql`received_at >= ${w.from}::timestamptz`,
      sql`received_at < ${w.to}::timestamptz`,
      ...visible(sql, w.visibleTo),
    ])}
    GROUP BY 1, 2, 3`;
}

export interface RevocationFigures {
  due_next_hour: number;
  open_obligations: number;
  late: number;
  oldest_late_revoke_at: Date | null;
  /** Revocations due in each DUE_SOON bucket of the next hour (index → count). */
  due_soon: { k: number; n: number }[];
}

/** Open revocations (revocation_status SCHEDULED), on the database clock. */
export async function revocationFigures(
  sql: Db,
  o: {
    lateAfterSeconds: number;
    dueSoonSeconds: number;
    dueBucketSeconds: number;
    visibleTo: { client: string } | null;
  },
): Promise<RevocationFigures> {
  const where = and(sql, [sql`revocation_status = 'SCHEDULED'`, ...visible(sql, o.visibleTo)]);
  const [[totals], dueSoon] = await Promise.all([
    sql<Omit<RevocationFigures, "due_soon">[]>`
      SELECT count(*) FILTER (WHERE revoke_at >= now() AND revoke_at < now() + interval '1 hour')::int AS due_next_hour,
             count(*) FILTER (WHERE pre_existing = false)::int AS open_obligations,
             count(*) FILTER (WHERE revoke_at < now() - ${o.lateAfterSeconds} * interval '1 second')::int AS late,
             min(revoke_at) FILTER (WHERE revoke_at < now() - ${o.lateAfterSeconds} * interval '1 second')
               AS oldest_late_revoke_at
      FROM requests WHERE ${where}`,
    sql<{ k: number; n: number }[]>`
      SELECT floor(extract(epoch FROM revoke_at - now()) / ${o.dueBucketSeconds})::int AS k, count(*)::int AS n
      FROM requests
      WHERE ${where} AND revoke_at >= now() AND revoke_at < now() + ${o.dueSoonSeconds} * interval '1 second'
      GROUP BY 1`,
  ]);
  return {
    due_next_hour: totals?.due_next_hour ?? 0,
    open_obligations: totals?.open_obligations ?? 0,
    late: totals?.late ?? 0,
    oldest_late_revoke_at: totals?.oldest_late_revoke_at ?? null,
    due_soon: dueSoon,
  };
}

export interface Lateness {
  revoked: number;
  p50_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
  /** Bucket index (width_bucket over the bounds: 0 = under the first bound) → count. */
  buckets: { k: number; n: number }[];
}

/** How late the revocations done in [from, to) were: revoked_at − revoke_at. */
export async function revocationLateness(
  sql: Db,
  w: { from: string; to: string; boundsMs: readonly number[]; visibleTo: { client: string } | null },
): Promise<Lateness> {
  const rows = await sql<
    { k: number | null; n: number; p50: number | null; p99: number | null; mx: number | null }[]
  >`
    WITH done AS (
      SELECT extract(epoch FROM revoked_at - revoke_at)::float8 * 1000 AS ms
      FROM requests
      WHERE ${and(sql, [
        sql`revocation_status = 'REVOKED'`,
        sql`revoked_at >= ${w.from}::timestamptz`,
        sql`revoked_at < ${w.to}::timestamptz`,
        sql`revoke_at IS NOT NULL`,
        ...visible(sql, w.visibleTo),
      ])}
    )
    SELECT width_bucket(ms, ${sql.array([...w.boundsMs])}::float8[]) AS k, count(*)::int AS n,
           NULL::float8 AS p50, NULL::float8 AS p99, NULL::float8 AS mx
    FROM done GROUP BY 1
    UNION ALL
    SELECT NULL, count(*)::int, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms),
           percentile_cont(0.99) WITHIN GROUP (ORDER BY ms), max(ms)
    FROM done`;
  const summary = rows.find((r) => r.k === null);
  return {
    revoked: summary?.n ?? 0,
    p50_ms: summary?.p50 ?? null,
    p99_ms: summary?.p99 ?? null,
    max_ms: summary?.mx ?? null,
    buckets: rows.filter((r): r is typeof r & { k: number } => r.k !== null),
  };
}
