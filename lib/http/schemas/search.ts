// POST /api/v1/search (docs/search.md, docs/api.md). Shared with ui/api-client.ts.
import { z } from "zod";
import { listFiltersSchema } from "../../requests/list-filters.ts";
import { CURSOR_MAX_LENGTH, LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX, requestSummarySchema } from "./requests.ts";

export const searchBodySchema = z.strictObject({
  /** The plain-English query (at most 500 characters; the parser checks and answers 422 /q). */
  q: z.string(),
  /** The caller's IANA time zone for "today", "yesterday", ...; UTC when absent. */
  tz: z.string().max(64).optional(),
  limit: z.number().int().min(1).max(LIST_LIMIT_MAX).default(LIST_LIMIT_DEFAULT),
  /** A `next_cursor` from an earlier answer to the same query. */
  cursor: z.string().min(1).max(CURSOR_MAX_LENGTH).optional(),
});
export type SearchBody = z.input<typeof searchBodySchema>;

export const searchResultSchema = z.object({
  filters: listFiltersSchema,
  /** One chip per filter, times in `tz`. */
  explanation: z.array(z.string()),
  /** The words that were not understood, as typed. */
  unknown: z.array(z.string()),
  results: z.array(requestSummarySchema),
  next_cursor: z.string().nullable(),
});
export type SearchResult = z.infer<typeof searchResultSchema>;
