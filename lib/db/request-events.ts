import type { Db } from "./connect.ts";

export interface EventRow {
  id: string;
  at: Date;
  kind: string;
  from_status: string | null;
  to_status: string | null;
  detail: Record<string, unknown> | null;
}

/** A request's audit timeline in the order it happened (request_events.id), after `afterId`. */
export async function listRequestEvents(
  sql: Db,
  correlationId: string,
  afterId: string | null,
  limit: number,
): Promise<EventRow[]> {
  return await sql<EventRow[]>`
    SELECT id::text AS id, at, kind, from_status, to_status, detail
    FROM request_events
    WHERE correlation_id = ${correlationId} ${afterId === null ? sql`` : sql`AND id > ${afterId}::bigint`}
    ORDER BY id
    LIMIT ${limit}`;
}
