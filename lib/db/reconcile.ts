// What the reconciler reads and claims (docs/revocation.md, "recovery"). Every claim takes the
// row's lease for a new job chain in the same statement, so two reconcilers never queue the same
// row and a chain in flight (lease held) is never doubled.
import type { Db } from "./connect.ts";
import type { RequestRow } from "./requests.ts";

/**
 * Requests still PENDING or PROCESSING whose job may have been lost: no live lease, and unchanged
 * for `staleMs` × 2^requeues (capped at 2^6), so a request waiting in a long queue is queued again
 * less and less often rather than every pass. Each claimed row's lease goes to a new job id.
 * `all`: after Redis lost its data — every such row, leased or not, at once.
 */
export async function claimUnfinished(
  sql: Db,
  opts: { staleMs: number; queueLeaseMs: number; limit: number; all: boolean; afterId?: string },
): Promise<RequestRow[]> {
  const after = opts.afterId ?? "00000000-0000-0000-0000-000000000000";
  return await sql<RequestRow[]>`
    UPDATE requests SET updated_at = now(), requeues = requeues + 1,
           lease_job = 'r-' || gen_random_uuid(),
           lease_until = now() + ${opts.queueLeaseMs} * interval '1 millisecond'
    WHERE correlation_id IN (
      SELECT correlation_id FROM requests
      WHERE status IN ('PENDING', 'PROCESSING') AND correlation_id > ${after}
        AND (${opts.all} OR (
          (lease_until IS NULL OR lease_until < now())
          AND updated_at < now() - ${opts.staleMs} * power(2, least(requeues, 6)) * interval '1 millisecond'))
      ORDER BY correlation_id
      LIMIT ${opts.limit}
      FOR UPDATE SKIP LOCKED
    )
    RETURNING *`;
}

/**
 * Revocations due for longer than `overdueMs` with no chain holding them: their job was lost
 * (or is stuck in a long queue; the lease makes the older copy stand down). Each claimed row's
 * lease goes to a new job id, which the reconciler queues at once.
 */
export async function claimOverdueRevocations(
  sql: Db,
  opts: { overdueMs: number; queueLeaseMs: number; limit: number },
): Promise<RequestRow[]> {
  return await sql<RequestRow[]>`
    UPDATE requests SET requeues = requeues + 1, lease_job = 'r-' || gen_random_uuid(),
           lease_until = now() + ${opts.queueLeaseMs} * interval '1 millisecond'
    WHERE correlation_id IN (
      SELECT correlation_id FROM requests
      WHERE revocation_status = 'SCHEDULED' AND status IN ('SUCCESS', 'FAILED')
        AND revoke_at < now() - ${opts.overdueMs} * interval '1 millisecond'
        AND (lease_until IS NULL OR lease_until < now())
      ORDER BY revoke_at
      LIMIT ${opts.limit}
      FOR UPDATE SKIP LOCKED
    )
    RETURNING *`;
}

/**
 * After Redis lost its data: every pending revocation (of an applied or failed grant) after
 * `afterId`, its lease dropped (the chain that held it lived in Redis), to be scheduled again.
 */
export async function releaseScheduledRevocations(
  sql: Db,
  afterId: string,
  limit: number,
): Promise<RequestRow[]> {
  return await sql<RequestRow[]>`
    UPDATE requests SET lease_job = NULL, lease_until = NULL
    WHERE correlation_id IN (
      SELECT correlation_id FROM requests
      WHERE revocation_status = 'SCHEDULED' AND status IN ('SUCCESS', 'FAILED') AND correlation_id > ${afterId}
      ORDER BY correlation_id
      LIMIT ${limit}
    )
    RETURNING *`;
}
