import { type Caller, visibilityFilter } from "../auth/authorize.ts";
import { type AccessAction, recordAccess } from "../db/access-log.ts";
import type { Sql } from "../db/connect.ts";
import { type ListRow, listRequestRows } from "../db/list-requests.ts";
import { guarded } from "../http/dependency.ts";
import type { RequestList } from "../http/schemas/requests.ts";
import { decodeCursor, encodeCursor } from "./list-cursor.ts";
import type { ListFilters } from "./list-filters.ts";
import { toSummary } from "./request-summary.ts";

export interface ListDeps {
  sql: Sql;
  dbTimeoutMs: number;
}

export interface ListRequest {
  filters: ListFilters;
  limit: number;
  cursor?: string | undefined;
}

/**
 * One page of the requests `caller` may see (its own for a submitter: the visibility is part of
 * the SQL, never a filter applied afterwards), newest first, and the cursor of the next page.
 */
export async function listPage(deps: ListDeps, caller: Caller, req: ListRequest): Promise<RequestList> {
  const after = req.cursor === undefined ? null : decodeCursor(req.cursor);
  // One row more than asked says whether a next page exists without a count.
  const rows = await guarded("postgres", deps.dbTimeoutMs, () =>
    listRequestRows(deps.sql, {
      filters: req.filters,
      visibleTo: visibilityFilter(caller),
      after,
      limit: req.limit + 1,
    }),
  );
  const page = rows.slice(0, req.limit);
  const last = page.at(-1);
  return {
    items: page.map(toSummary),
    next_cursor: rows.length > req.limit && last ? cursorAfter(last) : null,
  };
}

export function cursorAfter(row: ListRow): string {
  return encodeCursor({ receivedAt: row.page_key, correlationId: row.correlation_id });
}

/**
 * Records a list-like call (list, search, stats, export) in access_log, before it is answered,
 * when the caller's visibility is not limited to its own requests: an operator's or auditor's call
 * may reveal any client's requests, an empty answer included (it says there are none). One row
 * per call, carrying the filter as asked (docs/security.md, "Audit trail").
 */
export async function recordListAccess(
  deps: ListDeps,
  caller: Caller,
  action: AccessAction,
  filter: Record<string, unknown>,
  resultCount: number | null,
): Promise<void> {
  if (visibilityFilter(caller) !== null) return;
  await guarded("postgres", deps.dbTimeoutMs, () =>
    recordAccess(deps.sql, { client: caller.name, role: caller.role, action, filter, resultCount }),
  );
}
