import type { EndedBy, RequestRow } from "../db/requests.ts";

/** The public shape of a request (GET /api/v1/requests/{id}); also what the cache stores. */
export interface StatusView {
  correlation_id: string;
  status: RequestRow["status"];
  cloud_provider: RequestRow["cloud_provider"];
  action: RequestRow["action"];
  client: string;
  received_at: string;
  completed_at: string | null;
  error_details: unknown;
  /** The expiry that was asked for (moved by an extension; never by an early revoke). */
  expires_at: string | null;
  /** The expiry first asked for, before any extension (= expires_at while never extended). */
  original_expires_at: string | null;
  /** When the access ends or ended (the effective end): expires_at, or earlier (early revoke, a failed grant's compensation). */
  revoke_at: string | null;
  /** Who ended the grant before its expiry, when and how; null when it ran (or runs) to its end. */
  ended_by: EndedBy | null;
  /** Whether the access existed before the grant (then it is left in place at the end); null until known. */
  pre_existing: boolean | null;
  revocation_status: RequestRow["revocation_status"];
  revoked_at: string | null;
  /** Why a revocation FAILED: the cloud's code and message. */
  revocation_error: unknown;
  request: unknown;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toStatusView(row: RequestRow): StatusView {
  return {
    correlation_id: row.correlation_id,
    status: row.status,
    cloud_provider: row.cloud_provider,
    action: row.action,
    client: row.client,
    received_at: iso(row.received_at) ?? "",
    completed_at: iso(row.completed_at),
    error_details: row.error_details ?? null,
    expires_at: iso(row.expires_at),
    original_expires_at: iso(row.original_expires_at ?? row.expires_at),
    revoke_at: iso(row.revoke_at),
    ended_by: row.ended_by ?? null,
    pre_existing: row.pre_existing,
    revocation_status: row.revocation_status,
    revoked_at: iso(row.revoked_at),
    revocation_error: row.revocation_error ?? null,
    request: row.request_payload,
  };
}

/**
 * A view that no worker or scheduler will change again. Only these are cached for the full TTL;
 * anything still moving is cached briefly, so a reader that SETs just after a worker's DEL
 * (the classic cache-aside race) leaves a stale value for seconds at most.
 */
export function isSettled(v: StatusView): boolean {
  // A revocation still to come (a failed grant's compensation included) will change the view.
  if (v.revocation_status === "SCHEDULED") return false;
  if (v.status === "FAILED") return true;
  if (v.status !== "SUCCESS") return false;
  if (v.action === "revoke" || v.expires_at === null) return true;
  return v.revocation_status !== null;
}
