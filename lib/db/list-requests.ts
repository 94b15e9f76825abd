import type postgres from "postgres";
import type { ListPosition } from "../requests/list-cursor.ts";
import { type ListFilters, principalCandidates, STUCK_AFTER_MINUTES } from "../requests/list-filters.ts";
import type { Db } from "./connect.ts";
import type { RequestStatus, RevocationStatus } from "./requests.ts";

type Fragment = postgres.Fragment;

/** A `requests` row as the list, search and export read it (no payload: only what a table shows). */
export interface ListRow {
  correlation_id: string;
  status: RequestStatus;
  cloud_provider: "aws" | "azure";
  action: "grant" | "revoke";
  client: string;
  principal: string;
  permission: string;
  ticket: string | null;
  requested_by: string | null;
  justification: string | null;
  received_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  expires_at: Date | null;
  revoke_at: Date | null;
  revocation_status: RevocationStatus | null;
  revoked_at: Date | null;
  attempts: number;
  error_details: Record<string, unknown> | null;
  /** received_at with its microseconds, UTC: the cursor's half of the page key. */
  page_key: string;
}

/**
 * What the free-text filter searches: ticket, principal and the payload's justification, joined
 * by a newline (no filter value may contain one, so a phrase never spans two fields). Written
 * exactly as in migrations/0005's trigram index, which the planner matches it to.
 */
const searchText = (sql: Db) =>
  sql`(coalesce(ticket, '') || E'\\n' || principal || E'\\n' || coalesce(request_payload ->> 'justification', ''))`;

/** ILIKE pattern matching `phrase` anywhere, literally (its %, _ and \ escaped). */
export function containsPattern(phrase: string): string {
  return `%${phrase.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function setCondition(
  sql: Db,
  column: Fragment,
  set: { in: string[] } | { not_in: string[] },
  nullable = false,
) {
  if ("in" in set) return sql`${column} IN ${sql(set.in)}`;
  return nullable
    ? sql`(${column} IS NULL OR ${column} NOT IN ${sql(set.not_in)})`
    : sql`${column} NOT IN ${sql(set.not_in)}`;
}

/**
 * The WHERE conditions of a filter set (docs/search.md, "The filter model"), every value bound,
 * plus the caller's visibility (lib/auth/authorize.ts visibilityFilter): one fragment per field,
 * ANDed. The one translation of ListFilters into SQL: list, search, export and the benchmark use it.
 */
export function filterConditions(sql: Db, f: ListFilters, visibleTo: { client: string } | null): Fragment[] {
  const conds: Fragment[] = [];
  if (visibleTo) conds.push(sql`client = ${visibleTo.client}`);
  if (f.provider) conds.push(setCondition(sql, sql`cloud_provider`, f.provider));
  if (f.status) conds.push(setCondition(sql, sql`status`, f.status));
  if (f.revocation_status) conds.push(setCondition(sql, sql`revocation_status`, f.revocation_status, true));
  if (f.action) conds.push(setCondition(sql, sql`action`, f.action));
  if (f.from) conds.push(sql`received_at >= ${f.from}::timestamptz`);
  if (f.to) conds.push(sql`received_at < ${f.to}::timestamptz`);
  if (f.expires_from) conds.push(sql`expires_at >= ${f.expires_from}::timestamptz`);
  if (f.expires_to) conds.push(sql`expires_at < ${f.expires_to}::timestamptz`);
  if (f.stuck) {
    conds.push(sql`status IN ('PENDING', 'PROCESSING')
                   AND updated_at < now() - ${STUCK_AFTER_MINUTES} * interval '1 minute'`);
  }
  if (f.principal)
    conds.push(sql`principal IN ${sql([...new Set(f.principal.flatMap(principalCandidates))])}`);
  if (f.ticket) conds.push(sql`ticket IN ${sql(f.ticket)}`);
  if (f.client) conds.push(sql`client IN ${sql(f.client)}`);
  for (const phrase of f.text ?? []) conds.push(sql`${searchText(sql)} ILIKE ${containsPattern(phrase)}`);
  return conds;
}

/** `a AND b AND ...` (TRUE for none). */
export function and(sql: Db, conds: readonly Fragment[]): Fragment {
  return conds.reduce<Fragment>((acc, c) => sql`${acc} AND ${c}`, sql`TRUE`);
}

/**
 * Rows strictly after `after` in page order. Written as a range on received_at plus a tie-break,
 * not as a row comparison, so whichever index the filters pick (each ends in received_at) can
 * start at the position instead of filtering up to it.
 */
function afterPosition(sql: Db, after: ListPosition): Fragment {
  return sql`received_at <= ${after.receivedAt}::timestamptz
             AND (received_at < ${after.receivedAt}::timestamptz OR correlation_id < ${after.correlationId}::uuid)`;
}

export interface ListQuery {
  filters: ListFilters;
  visibleTo: { client: string } | null;
  after: ListPosition | null;
  limit: number;
}

/** One page, newest first by (received_at DESC, correlation_id DESC). */
export async function listRequestRows(sql: Db, q: ListQuery): Promise<ListRow[]> {
  const conds = filterConditions(sql, q.filters, q.visibleTo);
  if (q.after) conds.push(afterPosition(sql, q.after));
  return await sql<ListRow[]>`
    SELECT correlation_id, status, cloud_provider, action, client, principal, ticket, requested_by,
           request_payload ->> 'justification' AS justification,
           CASE WHEN cloud_provider = 'aws' THEN
                  coalesce(request_payload #>> '{permission,policy_arn}',
                           'group ' || (request_payload #>> '{permission,group}'),
                           'inline ' || (request_payload #>> '{permission,policy_name}'), '')
                ELSE coalesce(request_payload #>> '{role,name}', request_payload #>> '{role,definition_id}', '')
                     || ' at ' || coalesce(request_payload ->> 'scope', '')
           END AS permission,
           received_at, updated_at, completed_at, expires_at, revoke_at, revocation_status, revoked_at,
           attempts, error_details,
           to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS page_key
    FROM requests
    WHERE ${and(sql, conds)}
    ORDER BY received_at DESC, correlation_id DESC
    LIMIT ${q.limit}`;
}
