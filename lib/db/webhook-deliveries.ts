// One row per (event, endpoint): its attempts, outcome and lease (migrations/0006_webhooks.sql).
// Every change is conditional on the chain holding the lease, as for requests, so a duplicate job
// of another chain never sends while one is in flight.
import type { Db, Sql } from "./connect.ts";

export type DeliveryStatus = "pending" | "delivered" | "dead";

export interface DeliveryRow {
  id: string;
  event_id: string;
  correlation_id: string;
  client: string;
  event_type: string;
  endpoint_url: string;
  status: DeliveryStatus;
  attempts: number;
  created_at: Date;
  updated_at: Date;
  horizon_from: Date;
  next_attempt_at: Date;
  last_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  lease_job: string | null;
  lease_until: Date | null;
}

export type ClaimedDelivery = DeliveryRow & {
  /** The event body, as it was when the event happened. */
  payload: unknown;
  /** ms until next_attempt_at (database clock); ≤ 0 when due. */
  wait_ms: number;
  /** ms since horizon_from: retries stop past the horizon. */
  age_ms: number;
};

/**
 * Takes the lease of a pending delivery for chain `jobId`, until `leaseMs` past now or past its
 * next attempt, whichever is later. Undefined when delivered, dead, or held by another live chain.
 * When the chain already holds a lease that long (the dispatcher's, or a retry's), nothing is
 * written: a read is enough, and an attempt then costs one write (its outcome), not two.
 */
export async function claimDelivery(
  sql: Db,
  id: string,
  jobId: string,
  leaseMs: number,
): Promise<ClaimedDelivery | undefined> {
  const [held] = await sql<ClaimedDelivery[]>`
    SELECT d.*, o.payload,
      (extract(epoch FROM d.next_attempt_at - now()) * 1000)::float8 AS wait_ms,
      (extract(epoch FROM now() - d.horizon_from) * 1000)::float8 AS age_ms
    FROM webhook_deliveries d JOIN webhook_outbox o ON o.event_id = d.event_id
    WHERE d.id = ${id} AND d.status = 'pending' AND d.lease_job = ${jobId}
      AND d.lease_until >= greatest(now(), d.next_attempt_at) + ${leaseMs} * interval '1 millisecond'`;
  if (held) return held;
  const [row] = await sql<ClaimedDelivery[]>`
    UPDATE webhook_deliveries d
    SET lease_job = ${jobId},
        lease_until = greatest(now(), d.next_attempt_at) + ${leaseMs} * interval '1 millisecond'
    FROM webhook_outbox o
    WHERE d.id = ${id} AND o.event_id = d.event_id AND d.status = 'pending'
      AND (d.lease_job IS NULL OR d.lease_job = ${jobId} OR d.lease_until < now())
    RETURNING d.*, o.payload,
      (extract(epoch FROM d.next_attempt_at - now()) * 1000)::float8 AS wait_ms,
      (extract(epoch FROM now() - d.horizon_from) * 1000)::float8 AS age_ms`;
  return row;
}

export interface AttemptOutcome {
  statusCode: number | null;
  error: string | null;
}

/** The endpoint took it (2xx): delivered, once. */
export async function markDelivered(sql: Db, id: string, jobId: string, o: AttemptOutcome): Promise<boolean> {
  const rows = await sql`
    UPDATE webhook_deliveries
    SET status = 'delivered', attempts = attempts + 1, last_attempt_at = now(), delivered_at = now(),
        last_status_code = ${o.statusCode}, last_error = NULL, updated_at = now(),
        lease_job = NULL, lease_until = NULL
    WHERE id = ${id} AND lease_job = ${jobId} AND status = 'pending'
    RETURNING 1`;
  return rows.length > 0;
}

/** A failed attempt to be retried after `delayMs`; the lease covers the wait. */
export async function recordFailedAttempt(
  sql: Db,
  id: string,
  jobId: string,
  o: AttemptOutcome,
  delayMs: number,
  leaseMs: number,
): Promise<boolean> {
  const rows = await sql`
    UPDATE webhook_deliveries
    SET attempts = attempts + 1, last_attempt_at = now(), last_status_code = ${o.statusCode},
        last_error = ${o.error}, updated_at = now(),
        next_attempt_at = now() + ${delayMs} * interval '1 millisecond',
        lease_until = now() + ${delayMs + leaseMs} * interval '1 millisecond'
    WHERE id = ${id} AND lease_job = ${jobId} AND status = 'pending'
    RETURNING 1`;
  return rows.length > 0;
}

/**
 * Given up: past the retry horizon, refused (SSRF guard), or its endpoint is no longer configured.
 * `attempted` counts this try as an attempt.
 */
export async function markDead(
  sql: Db,
  id: string,
  jobId: string,
  o: AttemptOutcome,
  attempted: boolean,
): Promise<boolean> {
  const rows = await sql`
    UPDATE webhook_deliveries
    SET status = 'dead', attempts = attempts + ${attempted ? 1 : 0},
        last_attempt_at = CASE WHEN ${attempted} THEN now() ELSE last_attempt_at END,
        last_status_code = ${o.statusCode}, last_error = ${o.error}, updated_at = now(),
        lease_job = NULL, lease_until = NULL
    WHERE id = ${id} AND lease_job = ${jobId} AND status = 'pending'
    RETURNING 1`;
  return rows.length > 0;
}

/** Not sent now (every slot of the endpoint is busy): keep the lease over the short wait; no attempt. */
export async function deferDelivery(
  sql: Db,
  id: string,
  jobId: string,
  delayMs: number,
  leaseMs: number,
): Promise<boolean> {
  const rows = await sql`
    UPDATE webhook_deliveries SET lease_until = now() + ${delayMs + leaseMs} * interval '1 millisecond'
    WHERE id = ${id} AND lease_job = ${jobId} AND status = 'pending'
    RETURNING 1`;
  return rows.length > 0;
}

export interface DeliveryFilter {
  correlationId?: string | undefined;
  status?: DeliveryStatus | undefined;
  eventType?: string | undefined;
  /** Visibility: only this client's deliveries (lib/auth/authorize.ts visibilityFilter). */
  client?: string | undefined;
  /**
   * Keyset cursor: rows strictly older than (created_at, id); `at` to the microsecond, UTC. Bound
   * as text: a timestamptz parameter would go through a Date and lose the microseconds.
   */
  before?: { at: string; id: string } | undefined;
  limit: number;
}

export type ListedDelivery = DeliveryRow & {
  /** created_at to the microsecond (UTC text): a page's cursor must not lose them to a Date. */
  cursor_at: string;
};

/** Deliveries newest first, keyset-paginated. */
export async function listDeliveries(sql: Sql, f: DeliveryFilter): Promise<ListedDelivery[]> {
  return await sql<ListedDelivery[]>`
    SELECT *, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at
    FROM webhook_deliveries
    WHERE true
      ${f.correlationId ? sql`AND correlation_id = ${f.correlationId}` : sql``}
      ${f.status ? sql`AND status = ${f.status}` : sql``}
      ${f.eventType ? sql`AND event_type = ${f.eventType}` : sql``}
      ${f.client ? sql`AND client = ${f.client}` : sql``}
      ${f.before ? sql`AND (created_at, id) < (${f.before.at}::text::timestamptz, ${f.before.id}::uuid)` : sql``}
    ORDER BY created_at DESC, id DESC
    LIMIT ${f.limit}`;
}

export async function findDelivery(
  sql: Sql,
  id: string,
  visibleTo: { client: string } | null,
): Promise<DeliveryRow | undefined> {
  const [row] = await sql<DeliveryRow[]>`
    SELECT * FROM webhook_deliveries WHERE id = ${id}
    ${visibleTo ? sql`AND client = ${visibleTo.client}` : sql``}`;
  return row;
}

/**
 * Sends a delivered or dead delivery again (same id, so the same `webhook-id`): pending, due now,
 * a new retry horizon, its lease given to chain `jobId`. Undefined when it is pending already.
 */
export async function redeliver(
  sql: Sql,
  id: string,
  jobId: string,
  queueLeaseMs: number,
): Promise<DeliveryRow | undefined> {
  const [row] = await sql<DeliveryRow[]>`
    UPDATE webhook_deliveries
    SET status = 'pending', next_attempt_at = now(), horizon_from = now(), delivered_at = NULL,
        updated_at = now(), lease_job = ${jobId},
        lease_until = now() + ${queueLeaseMs} * interval '1 millisecond'
    WHERE id = ${id} AND status IN ('delivered', 'dead')
    RETURNING *`;
  return row;
}

/**
 * Pending deliveries whose job may be lost (no live lease), each leased to a new chain; `all`
 * after Redis lost its data: every pending one, whatever its lease, in id order after `afterId`.
 */
export async function claimStaleDeliveries(
  sql: Sql,
  opts: { queueLeaseMs: number; limit: number; all: boolean; afterId?: string },
): Promise<{ id: string; correlation_id: string; lease_job: string }[]> {
  const after = opts.afterId ?? "00000000-0000-0000-0000-000000000000";
  return await sql<{ id: string; correlation_id: string; lease_job: string }[]>`
    UPDATE webhook_deliveries SET lease_job = 'r-' || gen_random_uuid(),
           lease_until = greatest(now(), next_attempt_at) + ${opts.queueLeaseMs} * interval '1 millisecond'
    WHERE id IN (
      SELECT id FROM webhook_deliveries
      WHERE status = 'pending' AND id > ${after}::uuid
        AND (${opts.all} OR lease_until IS NULL OR lease_until < now())
      ORDER BY id
      LIMIT ${opts.limit}
      FOR UPDATE SKIP LOCKED
    )
    RETURNING id, correlation_id, lease_job`;
}
