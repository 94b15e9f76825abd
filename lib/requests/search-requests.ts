import type { Caller } from "../auth/authorize.ts";
import { ValidationError } from "../errors/http-errors.ts";
import { type SearchResult, searchBodySchema } from "../http/schemas/search.ts";
import type { QueryInterpreter } from "../nlq/interpreter.ts";
import { fieldIssues } from "../schemas/issues.ts";
import { type ListDeps, listPage, recordListAccess } from "./list-requests.ts";

export interface SearchDeps extends ListDeps {
  interpreter: QueryInterpreter;
  /** The reference instant of "today", "last 3 hours" (the API's injected clock). */
  now: () => Date;
}

/**
 * POST /api/v1/search: the text becomes list filters (lib/nlq, deterministic), then the list query
 * runs with them, under the caller's visibility. Unknown body fields, a bad limit or cursor → 422
 * (cursor 400); the parser's own refusals (too long, bad time zone) are 422 on /q or /tz.
 */
export async function searchRequests(deps: SearchDeps, caller: Caller, body: unknown): Promise<SearchResult> {
  const parsed = searchBodySchema.safeParse(body);
  if (!parsed.success) throw new ValidationError("invalid search", fieldIssues(parsed.error.issues));
  const { q, tz, limit, cursor } = parsed.data;
  const { filters, explanation, unknown } = await deps.interpreter.interpret(q, { now: deps.now(), tz });
  const page = await listPage(deps, caller, { filters, limit, cursor });
  await recordListAccess(deps, caller, "search", { q, tz: tz ?? "UTC", filters }, page.items.length);
  return { filters, explanation, unknown, results: page.items, next_cursor: page.next_cursor };
}
