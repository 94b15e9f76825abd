// Shapes of the read side of the request API (docs/api.md): what GET /api/v1/requests, its export,
// search and the event timeline answer. One zod schema per shape, used by the server to build its
// answers and by the dashboard's client to read them (ui/api-client.ts), so neither side has a
// hand-copied type; OpenAPI can be generated from them. zod only: the browser bundle imports this.
import { z } from "zod";
import {
  ACTION_VALUES,
  PROVIDER_VALUES,
  REVOCATION_STATUS_VALUES,
  STATUS_VALUES,
} from "../../requests/list-filters.ts";

/** Page size of the list and search when none is asked for, and the most one page may hold. */
export const LIST_LIMIT_DEFAULT = 50;
export const LIST_LIMIT_MAX = 200;
/** Longest cursor accepted (ours are about 100 characters). */
export const CURSOR_MAX_LENGTH = 256;

const instant = z.string().describe("RFC 3339 instant in UTC");

/** The provider's error as the worker recorded it: `{code, message, provider, ...}`. */
export const errorDetailsSchema = z
  .looseObject({ code: z.string().optional(), message: z.string().optional() })
  .nullable();

/** One request in a list, a search result or an export row. */
export const requestSummarySchema = z.object({
  correlation_id: z.guid(),
  status: z.enum(STATUS_VALUES),
  cloud_provider: z.enum(PROVIDER_VALUES),
  action: z.enum(ACTION_VALUES),
  client: z.string(),
  /** `user/alice`, `role/deployer`, `group/developers`, or an Azure object id. */
  principal: z.string(),
  /** What is granted: a policy ARN, `group <name>`, `inline <name>`, or `<role> at <scope>`. */
  permission: z.string(),
  ticket: z.string().nullable(),
  requested_by: z.string().nullable(),
  justification: z.string().nullable(),
  received_at: instant,
  updated_at: instant,
  completed_at: instant.nullable(),
  expires_at: instant.nullable(),
  /** When the access must end (expires_at, or earlier after an early revoke or a failure). */
  revoke_at: instant.nullable(),
  revocation_status: z.enum(REVOCATION_STATUS_VALUES).nullable(),
  revoked_at: instant.nullable(),
  attempts: z.number().int(),
  error_details: errorDetailsSchema,
});
export type RequestSummary = z.infer<typeof requestSummarySchema>;

/** Paging parameters of GET /api/v1/requests (the filters are listFiltersSchema, in query form). */
export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(LIST_LIMIT_MAX).default(LIST_LIMIT_DEFAULT),
  cursor: z.string().min(1).max(CURSOR_MAX_LENGTH).optional(),
});

export const requestListSchema = z.object({
  items: z.array(requestSummarySchema),
  /** Opaque; pass it back as `cursor` for the next (older) page. Null on the last page. */
  next_cursor: z.string().nullable(),
});
export type RequestList = z.infer<typeof requestListSchema>;

export const EXPORT_FORMATS = ["ndjson", "csv"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
/** GET /api/v1/requests/export: the list's filters, plus the format (NDJSON by default). */
export const exportQuerySchema = z.object({ format: z.enum(EXPORT_FORMATS).default("ndjson") });

/** One row of request_events: the audit timeline of a request. */
export const requestEventSchema = z.object({
  /** Increasing within a request; pass the last one as `after` for the next page. */
  id: z.string(),
  at: instant,
  /** RECEIVED, STATUS, PRE_EXISTING, OBLIGATION_OPENED, RETRY, REVOKE_REQUESTED, REVOCATION, ... */
  kind: z.string(),
  from_status: z.string().nullable(),
  to_status: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()).nullable(),
});
export type RequestEvent = z.infer<typeof requestEventSchema>;

export const EVENTS_LIMIT_DEFAULT = 500;
export const EVENTS_LIMIT_MAX = 1000;
export const eventsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(EVENTS_LIMIT_MAX).default(EVENTS_LIMIT_DEFAULT),
  after: z
    .string()
    .regex(/^\d{1,18}$/, "must be an event id")
    .optional(),
});

export const requestEventsSchema = z.object({
  correlation_id: z.guid(),
  events: z.array(requestEventSchema),
  /** Set when more events follow: pass it as `after`. */
  next_after: z.string().nullable(),
});
export type RequestEvents = z.infer<typeof requestEventsSchema>;

/** The single request (GET /api/v1/requests/{id}), as lib/requests/status-view.ts builds it. */
export const requestViewSchema = z.object({
  correlation_id: z.guid(),
  status: z.enum(STATUS_VALUES),
  cloud_provider: z.enum(PROVIDER_VALUES),
  action: z.enum(ACTION_VALUES),
  client: z.string(),
  received_at: instant,
  completed_at: instant.nullable(),
  error_details: errorDetailsSchema,
  expires_at: instant.nullable(),
  revocation_status: z.enum(REVOCATION_STATUS_VALUES).nullable(),
  revoked_at: instant.nullable(),
  request: z.record(z.string(), z.unknown()),
});
export type RequestView = z.infer<typeof requestViewSchema>;
