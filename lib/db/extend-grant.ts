import type { Sql } from "./connect.ts";
import type { RequestRow } from "./requests.ts";
import { lockAccess } from "./transitions.ts";

export type ExtendGrantResult =
  | { ok: true; row: RequestRow; previousEnd: Date }
  | { ok: false; reason: "not_found" }
  | {
      ok: false;
      reason: "not_a_grant" | "not_active" | "revocation_in_progress" | "changed";
      row: RequestRow;
    };

/**
 * Moves an active grant's end to `newEnd` (docs/revocation.md, "extension"). Under the access
 * lock, so no revocation of the same access decides in between: the grant must be SUCCESS with
 * its revocation SCHEDULED and its end still ahead, no revocation chain may hold its lease, and its
 * end must still be `expectedEnd` (what the caller's guardrails were checked against). Moves
 * expires_at and revoke_at together, keeps the first expiry in original_expires_at, and records an
 * EXTENDED event (old and new end, who asked) — which the webhook outbox reports as grant.extended.
 */
export async function extendGrantEnd(
  sql: Sql,
  correlationId: string,
  opts: { newEnd: Date; expectedEnd: Date; by: { client: string; role: string } },
): Promise<ExtendGrantResult> {
  return await sql.begin(async (tx) => {
    const [first] = await tx<{ access_key: string }[]>`
      SELECT access_key FROM requests WHERE correlation_id = ${correlationId}`;
    if (!first) return { ok: false, reason: "not_found" } as const;
    await lockAccess(tx, first.access_key);
    const [row] = await tx<(RequestRow & { active: boolean; leased: boolean })[]>`
      SELECT *, coalesce(revoke_at > now(), false) AS active,
             (lease_job IS NOT NULL AND coalesce(lease_until > now(), false)) AS leased
      FROM requests WHERE correlation_id = ${correlationId} FOR UPDATE`;
    if (!row) return { ok: false, reason: "not_found" } as const;
    if (row.action !== "grant") return { ok: false, reason: "not_a_grant", row } as const;
    if (row.status !== "SUCCESS" || row.revocation_status !== "SCHEDULED" || !row.active) {
      return { ok: false, reason: "not_active", row } as const;
    }
    if (row.leased) return { ok: false, reason: "revocation_in_progress", row } as const;
    if (row.revoke_at?.getTime() !== opts.expectedEnd.getTime()) {
      return { ok: false, reason: "changed", row } as const;
    }
    const [updated] = await tx<RequestRow[]>`
      UPDATE requests
      SET original_expires_at = coalesce(original_expires_at, expires_at),
          expires_at = ${opts.newEnd}, revoke_at = ${opts.newEnd}, updated_at = now()
      WHERE correlation_id = ${correlationId}
      RETURNING *`;
    await tx`
      INSERT INTO request_events (correlation_id, kind, detail)
      VALUES (${correlationId}, 'EXTENDED', ${tx.json({
        by: opts.by.client,
        role: opts.by.role,
        from: opts.expectedEnd.toISOString(),
        to: opts.newEnd.toISOString(),
      })})`;
    if (!updated) return { ok: false, reason: "not_found" } as const;
    return { ok: true, row: updated, previousEnd: opts.expectedEnd } as const;
  });
}
