import { type Caller, isNonOwnerAccess, visibilityFilter } from "../auth/authorize.ts";
import { recordAccess } from "../db/access-log.ts";
import type { Sql } from "../db/connect.ts";
import { listRequestEvents } from "../db/request-events.ts";
import { findRequest } from "../db/requests.ts";
import { guarded } from "../http/dependency.ts";
import type { RequestEvents } from "../http/schemas/requests.ts";
import { unknownRequest } from "./read-status.ts";

export interface TimelineDeps {
  sql: Sql;
  dbTimeoutMs: number;
}

/**
 * GET /api/v1/requests/{id}/events: the request's request_events in order. A request the caller
 * may not see is answered exactly as an unknown id (404), with the same one lookup; a timeline
 * read by anyone but the owner is recorded in access_log before it is answered.
 */
export async function readTimeline(
  deps: TimelineDeps,
  caller: Caller,
  correlationId: string,
  page: { after?: string | undefined; limit: number },
): Promise<RequestEvents> {
  const row = await guarded("postgres", deps.dbTimeoutMs, () =>
    findRequest(deps.sql, correlationId, visibilityFilter(caller)),
  );
  if (!row) throw unknownRequest(correlationId);
  const rows = await guarded("postgres", deps.dbTimeoutMs, () =>
    listRequestEvents(deps.sql, correlationId, page.after ?? null, page.limit + 1),
  );
  const events = rows.slice(0, page.limit);
  if (isNonOwnerAccess(caller, row)) {
    await guarded("postgres", deps.dbTimeoutMs, () =>
      recordAccess(deps.sql, { client: caller.name, role: caller.role, action: "events", correlationId }),
    );
  }
  return {
    correlation_id: correlationId,
    events: events.map((e) => ({
      id: e.id,
      at: e.at.toISOString(),
      kind: e.kind,
      from_status: e.from_status,
      to_status: e.to_status,
      detail: e.detail,
    })),
    next_after: rows.length > page.limit ? (events.at(-1)?.id ?? null) : null,
  };
}
