import { type Caller, visibilityFilter } from "../auth/authorize.ts";
import type { Sql } from "../db/connect.ts";
import { type ListRow, listRequestRows } from "../db/list-requests.ts";
import { guarded } from "../http/dependency.ts";
import type { ExportFormat, RequestSummary } from "../http/schemas/requests.ts";
import type { Logger } from "../logging/logger.ts";
import { csvLine } from "./csv.ts";
import type { ListPosition } from "./list-cursor.ts";
import type { ListFilters } from "./list-filters.ts";
import { toSummary } from "./request-summary.ts";

/** Rows fetched per query while exporting. */
export const EXPORT_PAGE_ROWS = 1000;

export interface ExportDeps {
  sql: Sql;
  log: Logger;
  dbTimeoutMs: number;
}

/** The CSV columns, in order: every field of a summary (error_details as JSON). */
export const CSV_COLUMNS = [
  "correlation_id",
  "status",
  "cloud_provider",
  "action",
  "client",
  "principal",
  "permission",
  "ticket",
  "requested_by",
  "justification",
  "received_at",
  "updated_at",
  "completed_at",
  "expires_at",
  "revoke_at",
  "revocation_status",
  "revoked_at",
  "attempts",
  "error_details",
] as const satisfies readonly (keyof RequestSummary)[];

function encodeRow(format: ExportFormat, s: RequestSummary): string {
  if (format === "ndjson") return `${JSON.stringify(s)}\n`;
  return csvLine(
    CSV_COLUMNS.map((c) => {
      const v = s[c];
      return c === "error_details" ? (v === null ? null : JSON.stringify(v)) : (v as string | number | null);
    }),
  );
}

/**
 * The filtered list as one stream, newest first: one keyset page of EXPORT_PAGE_ROWS at a time,
 * fetched only when the reader has taken the previous one (pull), so memory stays bounded however
 * many rows match. Rows received after the export started are not in it (they are newer than its
 * first page). A failure part-way errors the stream: the HTTP answer is cut off without its final
 * chunk, so a client cannot take a partial export for a complete one.
 */
export function exportStream(
  deps: ExportDeps,
  caller: Caller,
  filters: ListFilters,
  format: ExportFormat,
): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  const visibleTo = visibilityFilter(caller);
  let after: ListPosition | null = null;
  let done = false;
  let rowsOut = 0;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (format === "csv") controller.enqueue(enc.encode(csvLine([...CSV_COLUMNS])));
      },
      async pull(controller) {
        if (done) return;
        let rows: ListRow[];
        try {
          rows = await guarded("postgres", deps.dbTimeoutMs, () =>
            listRequestRows(deps.sql, { filters, visibleTo, after, limit: EXPORT_PAGE_ROWS }),
          );
        } catch (err) {
          deps.log.error({ err, client: caller.name, rows: rowsOut }, "export failed part-way");
          controller.error(err);
          return;
        }
        let text = "";
        for (const r of rows) text += encodeRow(format, toSummary(r));
        rowsOut += rows.length;
        const last = rows.at(-1);
        if (text !== "") controller.enqueue(enc.encode(text));
        if (rows.length < EXPORT_PAGE_ROWS || !last) {
          done = true;
          controller.close();
        } else {
          after = { receivedAt: last.page_key, correlationId: last.correlation_id };
        }
      },
    },
    // One page in hand at most: the next query waits until the reader has taken this one.
    { highWaterMark: 1 },
  );
}
