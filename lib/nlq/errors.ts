import { ValidationError } from "../errors/http-errors.ts";

export type SearchQueryProblem = "query_too_long" | "invalid_query" | "invalid_timezone";

/**
 * The only error the parser throws on purpose. It is a ValidationError, so the API's problem
 * mapping already answers 422 with the failing field (`/q` or `/tz`); `problem` tells which.
 */
export class SearchQueryError extends ValidationError {
  constructor(
    readonly problem: SearchQueryProblem,
    field: "q" | "tz",
    detail: string,
  ) {
    super(`search query rejected: ${detail}`, [{ pointer: `/${field}`, detail }]);
  }
}
