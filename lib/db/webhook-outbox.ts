// The webhook outbox (migrations/0006_webhooks.sql): rows written by the request_events trigger in
// the transaction of the change they report, fanned out here into one delivery per endpoint.
import { randomUUID } from "node:crypto";
import type { Sql } from "./connect.ts";

export interface OutboxRow {
  event_id: string;
  correlation_id: string;
  client: string;
  event_type: string;
  callback_url: string | null;
}

export interface NewDeliveryRef {
  id: string;
  correlation_id: string;
  lease_job: string;
}

/**
 * Claims up to `limit` undispatched outbox rows (FOR UPDATE SKIP LOCKED: several dispatchers
 * never take the same row) and, in the same statement, freezes each one's body and marks it
 * dispatched; asks `endpointsOf` where each goes; inserts one pending delivery per (event,
 * endpoint) — unique, so an event is never delivered twice under two ids — with its lease given
 * to a new job chain for `queueLeaseMs`. One transaction. The caller then queues the returned
 * deliveries; if that fails, the reconciler queues them once their lease lapses.
 *
 * The body: the event's own facts from its request_events row (kind, time, detail; the status it
 * moved to), the request's from its row as it is now (a fraction of a second after the event).
 */
export async function dispatchOutbox(
  sql: Sql,
  opts: { limit: number; queueLeaseMs: number; endpointsOf: (row: OutboxRow) => string[] },
): Promise<{ events: number; deliveries: NewDeliveryRef[] }> {
  return await sql.begin(async (tx) => {
    const rows = await tx<OutboxRow[]>`
      WITH claimed AS (
        SELECT event_id FROM webhook_outbox WHERE dispatched_at IS NULL
        ORDER BY event_id LIMIT ${opts.limit} FOR UPDATE SKIP LOCKED
      )
      UPDATE webhook_outbox o
      SET dispatched_at = now(), client = r.client, callback_url = r.request_payload ->> 'callback_url',
          payload = jsonb_build_object(
            'type', o.event_type,
            'timestamp', webhook_iso(e.at),
            'data', jsonb_strip_nulls(jsonb_build_object(
              'correlation_id', r.correlation_id,
              'event_id', e.id,
              'event', e.kind,
              'client', r.client,
              'cloud_provider', r.cloud_provider,
              'action', r.action,
              'principal', r.principal,
              'ticket', r.ticket,
              'requested_by', r.requested_by,
              'status', CASE WHEN e.kind = 'STATUS' THEN e.to_status ELSE r.status END,
              'revocation_status', CASE WHEN e.kind IN ('REVOCATION', 'DRIFT_DETECTED') THEN e.to_status
                                        ELSE r.revocation_status END,
              'received_at', webhook_iso(r.received_at),
              'completed_at', webhook_iso(r.completed_at),
              'expires_at', webhook_iso(r.expires_at),
              'original_expires_at', webhook_iso(coalesce(r.original_expires_at, r.expires_at)),
              'revoke_at', webhook_iso(r.revoke_at),
              'revoked_at', webhook_iso(r.revoked_at),
              'pre_existing', r.pre_existing,
              'ended_by', r.ended_by,
              'detail', e.detail)))
      FROM claimed c, request_events e, requests r
      WHERE o.event_id = c.event_id AND e.id = o.event_id AND r.correlation_id = o.correlation_id
      RETURNING o.event_id, o.correlation_id, o.client, o.event_type, o.callback_url`;
    if (rows.length === 0) return { events: 0, deliveries: [] };
    const ids: string[] = [];
    const eventIds: string[] = [];
    const correlationIds: string[] = [];
    const clients: string[] = [];
    const types: string[] = [];
    const urls: string[] = [];
    const jobs: string[] = [];
    for (const row of rows) {
      for (const url of opts.endpointsOf(row)) {
        ids.push(randomUUID());
        eventIds.push(row.event_id);
        correlationIds.push(row.correlation_id);
        clients.push(row.client);
        types.push(row.event_type);
        urls.push(url);
        jobs.push(`d-${randomUUID()}`);
      }
    }
    let deliveries: NewDeliveryRef[] = [];
    if (ids.length > 0) {
      deliveries = await tx<NewDeliveryRef[]>`
        INSERT INTO webhook_deliveries (id, event_id, correlation_id, client, event_type, endpoint_url,
                                        lease_job, lease_until)
        SELECT t.id, t.event_id, t.correlation_id, t.client, t.event_type, t.endpoint_url, t.lease_job,
               now() + ${opts.queueLeaseMs} * interval '1 millisecond'
        FROM unnest(${ids}::uuid[], ${eventIds}::bigint[], ${correlationIds}::uuid[], ${clients}::text[],
                    ${types}::text[], ${urls}::text[], ${jobs}::text[])
             AS t(id, event_id, correlation_id, client, event_type, endpoint_url, lease_job)
        ON CONFLICT (event_id, endpoint_url) DO NOTHING
        RETURNING id, correlation_id, lease_job`;
    }
    return { events: rows.length, deliveries };
  });
}

/** Undispatched outbox rows: what the dispatcher still has to do (a gauge for tests and benches). */
export async function outboxBacklog(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM webhook_outbox WHERE dispatched_at IS NULL`;
  return row?.n ?? 0;
}

/**
 * grant.expiring: one EXPIRY_NOTICE event (→ outbox, by the trigger) for every active grant of a
 * subscribed client whose end is within that client's lead time, once per end: the notice names
 * the revoke_at it warns about, so an extension (a new revoke_at) arms it again. Serialised by an
 * advisory lock, so several webhook services never write the same notice twice.
 */
export async function writeExpiryNotices(
  sql: Sql,
  leads: readonly { client: string; leadMs: number }[],
): Promise<number> {
  if (leads.length === 0) return 0;
  return await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(hashtextextended('csecbridge:webhooks:expiry-notices', 0))`;
    const rows = await tx`
      INSERT INTO request_events (correlation_id, kind, detail)
      SELECT r.correlation_id, 'EXPIRY_NOTICE',
             jsonb_build_object('revoke_at', webhook_iso(r.revoke_at), 'lead_time_ms', c.lead_ms)
      FROM unnest(${leads.map((l) => l.client)}::text[], ${leads.map((l) => l.leadMs)}::float8[])
           AS c(client, lead_ms)
      JOIN requests r ON r.client = c.client
      WHERE r.revocation_status = 'SCHEDULED' AND r.status = 'SUCCESS' AND r.action = 'grant'
        AND r.revoke_at > now() AND r.revoke_at <= now() + c.lead_ms * interval '1 millisecond'
        AND NOT EXISTS (
          SELECT 1 FROM request_events e
          WHERE e.correlation_id = r.correlation_id AND e.kind = 'EXPIRY_NOTICE'
            AND e.detail ->> 'revoke_at' = webhook_iso(r.revoke_at))
      RETURNING 1`;
    return rows.length;
  });
}
