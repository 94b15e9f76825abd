import type { ListRow } from "../db/list-requests.ts";
import type { RequestSummary } from "../http/schemas/requests.ts";

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A list row as the API shows it (lib/http/schemas/requests.ts requestSummarySchema). */
export function toSummary(r: ListRow): RequestSummary {
  return {
    correlation_id: r.correlation_id,
    status: r.status,
    cloud_provider: r.cloud_provider,
    action: r.action,
    client: r.client,
    principal: r.principal,
    permission: r.permission,
    ticket: r.ticket,
    requested_by: r.requested_by,
    justification: r.justification,
    received_at: r.received_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
    completed_at: iso(r.completed_at),
    expires_at: iso(r.expires_at),
    revoke_at: iso(r.revoke_at),
    revocation_status: r.revocation_status,
    revoked_at: iso(r.revoked_at),
    attempts: r.attempts,
    error_details: r.error_details ?? null,
  };
}
