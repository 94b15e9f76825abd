import { z } from "zod";
import type { FieldIssue } from "../errors/http-errors.ts";
import { fieldIssues } from "../schemas/issues.ts";

/**
 * The filters of `GET /api/v1/requests` (and of the dashboard's URL, and of what plain-English
 * search produces). Every field narrows the list; fields are ANDed together.
 *
 * How each field maps onto the `requests` table (postgres.js fragments, values always bound):
 * - provider / status / revocation_status / action: a set, `{in: [...]}` (the column is one of
 *   them) or `{not_in: [...]}` (it is none of them). Columns: cloud_provider, status,
 *   revocation_status (a NULL revocation_status is in no `in` set and passes every `not_in`),
 *   action.
 * - from / to: `received_at >= from AND received_at < to` (half-open, UTC instants).
 * - expires_from / expires_to: the same on `expires_at` (a NULL expires_at never matches).
 * - stuck: `status IN ('PENDING','PROCESSING') AND updated_at < now() - STUCK_AFTER_MINUTES`,
 *   evaluated with the database clock when the list is read, so a shared link stays meaningful.
 * - principal: any of the values; see `principalCandidates` for the exact column values.
 * - ticket, client: any of the values, exact match on the column.
 * - text: every phrase must occur (case-insensitively) in the ticket, the principal or the
 *   payload's justification.
 */

/** A PENDING or PROCESSING request whose row has not changed for this long counts as stuck. */
export const STUCK_AFTER_MINUTES = 5;

export const PROVIDER_VALUES = ["aws", "azure"] as const;
export const STATUS_VALUES = ["PENDING", "PROCESSING", "SUCCESS", "FAILED"] as const;
export const REVOCATION_STATUS_VALUES = ["SCHEDULED", "REVOKED", "FAILED", "SKIPPED"] as const;
export const ACTION_VALUES = ["grant", "revoke"] as const;

export type ProviderValue = (typeof PROVIDER_VALUES)[number];
export type StatusValue = (typeof STATUS_VALUES)[number];
export type RevocationStatusValue = (typeof REVOCATION_STATUS_VALUES)[number];
export type ActionValue = (typeof ACTION_VALUES)[number];

/** `{in}` lists what may match, `{not_in}` what may not; never empty, no duplicates. */
export type SetFilter<T extends string> = { in: T[] } | { not_in: T[] };

const setFilter = <const T extends readonly [string, ...string[]]>(values: T) => {
  const item = z.enum(values);
  const list = z
    .array(item)
    .min(1)
    .max(values.length)
    .refine((v) => new Set(v).size === v.length, "must not repeat a value");
  return z.union([z.strictObject({ in: list }), z.strictObject({ not_in: list })], {
    error: `must be {in: [...]} or {not_in: [...]} of ${values.join(", ")}`,
  });
};

/** A UTC instant as `Date.prototype.toISOString` writes it. */
const instant = z.iso.datetime({ message: "must be an ISO 8601 instant in UTC, e.g. 2026-11-30T00:00:00Z" });

/** Most values one list filter (principal, ticket, client, text) may hold. */
export const MAX_LIST_VALUES = 50;

/** Bounded, printable, single-line: the same refusal of control characters as the payload. */
export const listValueSchema = z
  .string()
  .min(1)
  .max(256)
  .regex(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
    /^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$/,
    "must not contain control characters",
  )
  .refine((v) => v.isWellFormed(), "must be well-formed Unicode");
const values = z.array(listValueSchema).min(1).max(MAX_LIST_VALUES);

export const listFiltersSchema = z.strictObject({
  provider: setFilter(PROVIDER_VALUES).optional(),
  status: setFilter(STATUS_VALUES).optional(),
  revocation_status: setFilter(REVOCATION_STATUS_VALUES).optional(),
  action: setFilter(ACTION_VALUES).optional(),
  from: instant.optional(),
  to: instant.optional(),
  expires_from: instant.optional(),
  expires_to: instant.optional(),
  stuck: z.literal(true).optional(),
  principal: values.optional(),
  ticket: values.optional(),
  client: values.optional(),
  text: values.optional(),
});

export type ListFilters = z.infer<typeof listFiltersSchema>;

/** The set-valued fields, with their allowed values in canonical order. */
export const SET_FIELDS = {
  provider: PROVIDER_VALUES,
  status: STATUS_VALUES,
  revocation_status: REVOCATION_STATUS_VALUES,
  action: ACTION_VALUES,
} as const;
export type SetField = keyof typeof SET_FIELDS;

export const INSTANT_FIELDS = ["from", "to", "expires_from", "expires_to"] as const;
export const LIST_FIELDS = ["principal", "ticket", "client", "text"] as const;

/** The order fields are written in (URL, explanation): the order of the schema. */
export const FIELD_ORDER = Object.keys(listFiltersSchema.shape) as (keyof ListFilters)[];

/**
 * The exact `requests.principal` values a principal filter value stands for: "user/alice" as is;
 * a GUID (an Azure object id) lower-cased, as the column stores it; a bare name ("alice") any of
 * the AWS principal types. Use as `principal = ANY(${candidates})`.
 */
export function principalCandidates(v: string): string[] {
  if (v.includes("/")) return [v];
  if (GUID.test(v)) return [v.toLowerCase()];
  return [`user/${v}`, `role/${v}`, `group/${v}`];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// ---------------------------------------------------------------- URL query string

/**
 * Filters as URL query parameters, in a canonical order, so the dashboard's URL is the source of
 * the filters and `filtersFromQuery(filtersToQuery(f))` gives `f` back. A set is
 * `provider=aws&provider=azure` or `provider_not=azure`; a list repeats its key (values may hold
 * commas: IAM names allow them); instants and `stuck=true` are single values.
 */
export function filtersToQuery(filters: ListFilters): URLSearchParams {
  const q = new URLSearchParams();
  for (const field of FIELD_ORDER) {
    const v = filters[field];
    if (v === undefined) continue;
    if (typeof v === "string") q.append(field, v);
    else if (v === true) q.append(field, "true");
    else if (Array.isArray(v)) for (const item of v) q.append(field, item);
    else if ("in" in v) for (const item of v.in) q.append(field, item);
    else for (const item of v.not_in) q.append(`${field}_not`, item);
  }
  return q;
}

/**
 * The filters' query parameters as one zod object (`provider`, `provider_not`, …, `text`): the
 * parameters GET /api/v1/requests and its export accept besides their own (lib/http/list-query.ts
 * refuses any other), and what the OpenAPI document lists. Built from the fields above, so it
 * names exactly what `filtersToQuery` writes. It describes the canonical form; `filtersFromQuery`
 * also takes comma-separated sets and values in any case, and stays the one that decides (422).
 */
const filterQueryShape: Record<string, z.ZodType> = {
  ...Object.fromEntries(
    (Object.entries(SET_FIELDS) as [SetField, readonly [string, ...string[]]][]).flatMap(
      ([field, allowed]) => [
        [
          field,
          z
            .array(z.enum(allowed))
            .min(1)
            .optional()
            .describe(`Any of these ${field} values (repeat the key)`),
        ],
        [
          `${field}_not`,
          z
            .array(z.enum(allowed))
            .min(1)
            .optional()
            .describe(`None of these ${field} values (repeat the key)`),
        ],
      ],
    ),
  ),
  ...Object.fromEntries(
    INSTANT_FIELDS.map((field) => [
      field,
      z.iso
        .datetime({ offset: true })
        .optional()
        .describe(
          field.startsWith("expires")
            ? `expires_at ${field === "expires_from" ? "at or after" : "before"} this instant (RFC 3339)`
            : `received_at ${field === "from" ? "at or after" : "before"} this instant (RFC 3339)`,
        ),
    ]),
  ),
  stuck: z
    .enum(["true"])
    .optional()
    .describe(`PENDING or PROCESSING and unchanged for ${STUCK_AFTER_MINUTES} minutes`),
  ...Object.fromEntries(
    LIST_FIELDS.map((field) => [
      field,
      values
        .optional()
        .describe(
          field === "text"
            ? "Every phrase occurs in the ticket, the principal or the justification (repeat the key)"
            : `Any of these ${field} values (repeat the key)`,
        ),
    ]),
  ),
};
export const listFiltersQuerySchema = z.object(filterQueryShape);

export type FiltersFromQueryResult = { ok: true; filters: ListFilters } | { ok: false; issues: FieldIssue[] };

/**
 * Reads filters back from a query string. Lenient where people type URLs by hand: set values may
 * also be comma-separated and are matched case-insensitively; a field given both ways
 * (`provider=aws&provider_not=azure`) keeps the included values that are not excluded. Keys that
 * are not filters (limit, cursor, …) are ignored. Every bad parameter is reported, not only the
 * first.
 */
export function filtersFromQuery(input: URLSearchParams | string): FiltersFromQueryResult {
  const q = typeof input === "string" ? new URLSearchParams(input) : input;
  const raw: Record<string, unknown> = {};
  const issues: FieldIssue[] = [];
  for (const [field, allowed] of Object.entries(SET_FIELDS) as [SetField, readonly string[]][]) {
    const pick = (key: string) =>
      q
        .getAll(key)
        .flatMap((v) => v.split(","))
        .map((v) => v.trim())
        .filter((v) => v !== "")
        .map((v) => allowed.find((a) => a.toLowerCase() === v.toLowerCase()) ?? v);
    const inc = pick(field);
    const exc = pick(`${field}_not`);
    if (inc.length === 0 && exc.length === 0) continue;
    const set = combineSet(allowed, inc, exc);
    if (set === null) issues.push({ pointer: `/${field}`, detail: "every included value is also excluded" });
    else raw[field] = set;
  }
  for (const field of INSTANT_FIELDS) {
    const v = q.get(field);
    if (v !== null && v !== "") {
      const ms = Date.parse(v);
      // Accept any offset people may type; store the canonical UTC form.
      raw[field] = /(?:[zZ]|[+-]\d{2}:?\d{2})$/.test(v) && !Number.isNaN(ms) ? new Date(ms).toISOString() : v;
    }
  }
  const stuck = q.get("stuck");
  if (stuck !== null && stuck !== "") raw.stuck = stuck === "true" ? true : stuck;
  for (const field of LIST_FIELDS) {
    const vs = [...new Set(q.getAll(field).filter((v) => v !== ""))];
    if (vs.length > 0) raw[field] = vs;
  }
  const parsed = listFiltersSchema.safeParse(raw);
  if (!parsed.success) {
    // Reported by query parameter (`/provider_not`, `/ticket`), not by position in the object.
    for (const issue of fieldIssues(parsed.error.issues)) {
      const [, field = "", inner] = issue.pointer.split("/");
      const pointer = `/${field}${inner === "not_in" ? "_not" : ""}`;
      if (!issues.some((i) => i.pointer === pointer)) issues.push({ pointer, detail: issue.detail });
    }
  }
  if (issues.length > 0 || !parsed.success) return { ok: false, issues };
  return { ok: true, filters: parsed.data };
}

/**
 * One set from included and excluded values, in canonical order: included minus excluded when
 * anything is included, else the exclusions. Null when every included value is also excluded (no
 * set expresses "nothing", and silently dropping either side would widen or change the filter).
 * Values outside `allowed` are kept so the schema reports them.
 */
export function combineSet<T extends string>(
  allowed: readonly T[],
  included: readonly string[],
  excluded: readonly string[],
): { in: T[] } | { not_in: T[] } | null {
  const order = (vs: readonly string[]) =>
    [...new Set(vs)].sort((a, b) => rank(allowed, a) - rank(allowed, b) || a.localeCompare(b)) as T[];
  if (included.length > 0) {
    const kept = order(included.filter((v) => !excluded.includes(v)));
    return kept.length > 0 ? { in: kept } : null;
  }
  return { not_in: order(excluded) };
}

function rank(allowed: readonly string[], v: string): number {
  const i = allowed.indexOf(v);
  return i === -1 ? allowed.length : i;
}
