import { type ParsedQuery, type ParseQueryOptions, parseQuery } from "./parse-query.ts";

/**
 * Anything that turns a search text into list filters. The search endpoint depends on this, not
 * on the parser, so another implementation (an LLM behind a configured endpoint, say) can be put
 * in its place. Such an implementation must:
 * - validate what it produces with `listFiltersSchema` (lib/requests/list-filters.ts) and build
 *   the explanation with `explainFilters`, never from the model's own words;
 * - report words it did not use in `unknown`;
 * - fall back to `deterministicInterpreter` on any failure or time-out, so search never depends
 *   on it;
 * - throw only SearchQueryError, as the parser does, for a query it refuses.
 */
export interface QueryInterpreter {
  interpret(q: string, opts: ParseQueryOptions): Promise<ParsedQuery>;
}

/** The default: the deterministic parser, no network, no model. */
export const deterministicInterpreter: QueryInterpreter = {
  interpret: async (q, opts) => parseQuery(q, opts),
};
