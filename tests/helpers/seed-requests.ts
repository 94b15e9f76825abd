import { randomUUID } from "node:crypto";
import type { Sql } from "../../lib/db/connect.ts";

/** A request row as tests want it, every column but the id optional. */
export interface SeedRow {
  id?: string;
  status?: "PENDING" | "PROCESSING" | "SUCCESS" | "FAILED";
  provider?: "aws" | "azure";
  action?: "grant" | "revoke";
  client?: string;
  principal?: string;
  ticket?: string | null;
  justification?: string | null;
  /** An instant (ISO, microseconds allowed) or an SQL-free offset from now in ms (negative = past). */
  receivedAt?: string | number;
  updatedAt?: string | number;
  expiresAt?: string | number | null;
  revokeAt?: string | number | null;
  revocationStatus?: "SCHEDULED" | "REVOKED" | "FAILED" | "SKIPPED" | null;
  revokedAt?: string | number | null;
  preExisting?: boolean | null;
  errorDetails?: Record<string, unknown> | null;
}

const at = (v: string | number | null | undefined, now: number): string | null =>
  v === undefined || v === null ? null : typeof v === "number" ? new Date(now + v).toISOString() : v;

/**
 * Inserts request rows directly (no worker): what the read side is tested against. The payload is
 * a valid one for the provider, with the ticket and justification given; the principal column is
 * what the list filters on. Returns the ids in the order given.
 */
export async function seedRequests(sql: Sql, rows: readonly SeedRow[], now = Date.now()): Promise<string[]> {
  const values = rows.map((r) => {
    const provider = r.provider ?? "aws";
    const principal =
      r.principal ?? (provider === "aws" ? "user/alice" : "0b9f7c1e-6a53-4b5e-9a39-2f8d9f3c1a11");
    const payload: Record<string, unknown> =
      provider === "aws"
        ? {
            provider,
            action: r.action ?? "grant",
            principal: { type: principal.split("/")[0], name: principal.split("/")[1] ?? principal },
            permission: { type: "managed_policy", policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
          }
        : {
            provider,
            action: r.action ?? "grant",
            principal: { id: principal, type: "User" },
            role: { name: "Reader" },
            scope: "/subscriptions/6f1d2b7a-0c1e-4a7b-9d3e-5c2a1b0f9e8d/resourceGroups/rg-dev",
          };
    if (r.ticket) payload.ticket = r.ticket;
    if (r.justification) payload.justification = r.justification;
    const received = at(r.receivedAt ?? 0, now) ?? new Date(now).toISOString();
    return {
      correlation_id: r.id ?? randomUUID(),
      status: r.status ?? "SUCCESS",
      cloud_provider: provider,
      action: r.action ?? "grant",
      client: r.client ?? "tester",
      request_payload: payload,
      request_hash: "seed",
      access_key: `${provider}:${principal}:seed`,
      principal,
      ticket: r.ticket ?? null,
      received_at: received,
      updated_at: at(r.updatedAt, now) ?? received,
      expires_at: at(r.expiresAt, now),
      revoke_at: at(r.revokeAt === undefined ? r.expiresAt : r.revokeAt, now),
      revocation_status: r.revocationStatus ?? null,
      revoked_at: at(r.revokedAt, now),
      pre_existing: r.preExisting === undefined ? (r.revocationStatus ? false : null) : r.preExisting,
      error_details: r.errorDetails ?? null,
    };
  });
  for (let i = 0; i < values.length; i += 500) {
    const chunk = values.slice(i, i + 500);
    await sql`INSERT INTO requests ${sql(
      chunk.map((v) => ({ ...v, request_payload: sql.json(v.request_payload as never) })) as never,
    )}`;
  }
  return values.map((v) => v.correlation_id);
}

/** Ids of a list answer, in order. */
export const ids = (body: { items?: { correlation_id: string }[]; results?: { correlation_id: string }[] }) =>
  (body.items ?? body.results ?? []).map((r) => r.correlation_id);
