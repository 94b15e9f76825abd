import type { z } from "zod";
import type { RequestRow } from "../db/requests.ts";
import type { statusViewSchema } from "../schemas/responses.ts";

/**
 * The public shape of a request (GET /api/v1/requests/{id}); also what the cache stores.
 * Inferred from the zod schema the OpenAPI document is generated from.
 */
export type StatusView = z.infer<typeof statusViewSchema>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toStatusView(row: RequestRow): StatusView {
  return {
    correlation_id: row.correlation_id,
    status: row.status,
    cloud_provider: row.cloud_provider,
    action: row.action,
    client: row.client,
    received_at: row.received_at.toISOString(),
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
