import type { Role } from "../policy/schema.ts";
import type { Db } from "./connect.ts";

/** Calls that reveal requests without changing them (changes are request_events rows). */
export type AccessAction = "read" | "list" | "search" | "events" | "stats" | "export";

export interface AccessEntry {
  client: string;
  role: Role;
  action: AccessAction;
  /** The request revealed, for single-request calls (a read, a timeline). */
  correlationId?: string | null;
  /** The filter of a list-like call, as asked (never a token or a payload). */
  filter?: Record<string, unknown> | null;
  resultCount?: number | null;
}

/**
 * Appends one access_log row (migrations/0003_access_log.sql): one per API call, however many
 * requests it shows. Callers write it before answering, so nothing is revealed unrecorded.
 */
export async function recordAccess(sql: Db, e: AccessEntry): Promise<void> {
  await sql`
    INSERT INTO access_log (client, role, action, correlation_id, filter, result_count)
    VALUES (${e.client}, ${e.role}, ${e.action}, ${e.correlationId ?? null},
            ${e.filter ? sql.json(e.filter as never) : null}, ${e.resultCount ?? null})`;
}
