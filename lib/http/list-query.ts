import type { z } from "zod";
import { type FieldIssue, ValidationError } from "../errors/http-errors.ts";
import { filtersFromQuery, type ListFilters, listFiltersQuerySchema } from "../requests/list-filters.ts";
import { fieldIssues } from "../schemas/issues.ts";

/** Every query parameter a filter may use: `provider`, `provider_not`, `from`, `text`, ... */
const FILTER_KEYS = new Set<string>(Object.keys(listFiltersQuerySchema.shape));

/**
 * Filters and the endpoint's own parameters (`own`: limit and cursor, format, ...) from a query
 * string. A parameter that is neither is refused rather than ignored: a misspelt filter
 * (`stauts=FAILED`) would silently widen a list or an audit export. Every problem is reported at
 * once, each as `/<parameter>`.
 */
export function parseListQuery<S extends z.ZodObject>(
  query: URLSearchParams,
  own: S,
): { filters: ListFilters; params: z.infer<S> } {
  const issues: FieldIssue[] = [];
  const ownKeys = new Set(Object.keys(own.shape));
  for (const key of new Set(query.keys())) {
    if (!FILTER_KEYS.has(key) && !ownKeys.has(key)) {
      issues.push({ pointer: `/${key}`, detail: "unknown query parameter" });
    } else if (ownKeys.has(key) && query.getAll(key).length > 1) {
      issues.push({ pointer: `/${key}`, detail: "must be given once" });
    }
  }
  const parsedFilters = filtersFromQuery(query);
  if (!parsedFilters.ok) issues.push(...parsedFilters.issues);
  const raw: Record<string, string> = {};
  for (const key of ownKeys) {
    const v = query.get(key);
    if (v !== null) raw[key] = v;
  }
  const params = own.safeParse(raw);
  if (!params.success) issues.push(...fieldIssues(params.error.issues));
  if (issues.length > 0 || !parsedFilters.ok || !params.success) {
    throw new ValidationError("invalid query parameters", issues);
  }
  return { filters: parsedFilters.filters, params: params.data };
}
