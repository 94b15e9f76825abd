import { z } from "zod";
import { CSV_COLUMNS } from "../../../requests/export-requests.ts";
import { listFiltersQuerySchema } from "../../../requests/list-filters.ts";
import { extendBodySchema, extendResponseSchema } from "../../../schemas/extend.ts";
import { correlationIdParams, submitHeaders } from "../../../schemas/params.ts";
import { requestPayloadSchema } from "../../../schemas/request.ts";
import { revokeAcceptedSchema, statusViewSchema, submitAcceptedSchema } from "../../../schemas/responses.ts";
import {
  eventsQuerySchema,
  exportQuerySchema,
  pageQuerySchema,
  requestEventsSchema,
  requestListSchema,
  requestSummarySchema,
} from "../../schemas/requests.ts";
import type { Endpoint } from "../endpoint.ts";
import { EXAMPLE_IDS, exampleBodies } from "../examples.ts";

const location = { description: "Where to read the request: /api/v1/requests/{id}", schema: z.string() };
const noStore = { "Cache-Control": { description: "no-store", schema: z.literal("no-store") } };

/** The CSV export: RFC 4180 text whose first line is the header row of CSV_COLUMNS. */
const csvExportSchema = z
  .string()
  .regex(new RegExp(`^${CSV_COLUMNS.join(",")}\\r\\n`), "starts with the header row")
  .describe(`CSV (RFC 4180, CRLF): a header row (${CSV_COLUMNS.join(", ")}), then one row per request`);

/** lib/http/routes/requests.ts */
export const requestEndpoints: readonly Endpoint[] = [
  {
    method: "post",
    path: "/api/v1/requests",
    operationId: "submitRequest",
    summary: "Grant or revoke one access",
    description:
      "Validates the request (every failing location is reported), checks the caller's guardrails, stores it (PENDING) and queues it; a worker carries it out against the cloud. A grant carries a revocation obligation and is revoked at `expires_at` (or after `duration`). Order of work: authenticate → rate limit → role → parse → validate → guardrails → write. Roles: submitters only (operators and auditors get 403, rule `role`).",
    tags: ["requests"],
    security: "bearer",
    params: { header: submitHeaders },
    body: { schema: requestPayloadSchema, description: "A grant or revoke for AWS IAM or Azure RBAC" },
    responses: {
      202: {
        description: "Accepted: stored and queued (or, with a known Idempotency-Key, the first request's id)",
        schema: submitAcceptedSchema,
        headers: {
          Location: location,
          "Idempotent-Replayed": { description: "true on an idempotent replay", schema: z.literal("true") },
        },
      },
    },
    errors: {
      400: "The body is not JSON",
      403: "The caller's role or guardrails refuse it (`rule` names which)",
      409: "The Idempotency-Key was used with another body",
      413: "The body is larger than 64 KiB",
      415: "The content type is not application/json",
      422: "The body does not match the schema (`errors` lists every failing location)",
      503: "PostgreSQL or Redis is unavailable; nothing was written (see Retry-After)",
    },
    examples: [
      {
        name: "aws-managed-policy",
        summary: "AWS: attach ReadOnlyAccess to a user for 2 h",
        body: exampleBodies.awsManagedPolicy,
        status: 202,
      },
      {
        name: "aws-group",
        summary: "AWS: add a user to a group for 8 h",
        body: exampleBodies.awsGroupMembership,
        status: 202,
      },
      {
        name: "azure-reader",
        summary: "Azure: Reader on a resource group for 4 h",
        body: exampleBodies.azureReader,
        status: 202,
      },
      {
        name: "aws-revoke",
        summary: "AWS: remove an access now, whoever granted it",
        body: exampleBodies.awsRevoke,
        status: 202,
      },
      {
        name: "idempotent",
        summary: "A retry-safe submit",
        headers: { "Idempotency-Key": "CHG-1234-attempt-1" },
        body: exampleBodies.awsManagedPolicy,
        status: 202,
      },
      {
        name: "invalid",
        summary: "Every failing location is reported",
        body: exampleBodies.invalid,
        status: 422,
      },
      { name: "malformed", summary: "Not JSON", rawBody: '{"provider": ', status: 400 },
      {
        name: "no-token",
        summary: "Without a token",
        anonymous: true,
        body: exampleBodies.awsManagedPolicy,
        status: 401,
      },
    ],
  },
  {
    method: "get",
    path: "/api/v1/requests",
    operationId: "listRequests",
    summary: "List requests, newest first, by filters",
    description:
      "The filters of docs/search.md in query form (every one ANDed; a set repeats its key or is comma-separated, `<field>_not` excludes). A parameter that is not a filter or `limit`/`cursor` is refused (422), never ignored. Keyset pages newest first: pass `next_cursor` back as `cursor`. Roles: every role; a submitter sees only its own requests, operators and auditors every client's (their reads are written to access_log).",
    tags: ["read"],
    security: "bearer",
    params: { query: listFiltersQuerySchema.extend(pageQuerySchema.shape) },
    responses: {
      200: { description: "One page of requests", schema: requestListSchema, headers: noStore },
    },
    errors: {
      400: "The cursor is not one this API issued",
      422: "A filter or parameter is invalid or unknown (`errors` names each one as /<parameter>)",
      503: "PostgreSQL is unavailable",
    },
    examples: [
      {
        name: "succeeded-aws",
        summary: "A submitter's successful AWS requests, 20 a page",
        query: { status: "SUCCESS", provider: "aws", limit: "20" },
        status: 200,
      },
      {
        name: "operator-by-client",
        summary: "An operator: one client's active grants",
        role: "operator",
        query: { client: "tester", revocation_status: "SCHEDULED" },
        status: 200,
      },
      {
        name: "misspelt-filter",
        summary: "A misspelt filter is refused, not ignored",
        query: { stauts: "FAILED" },
        status: 422,
      },
      {
        name: "bad-cursor",
        summary: "A cursor this API did not issue",
        query: { cursor: "not-ours!" },
        status: 400,
      },
    ],
  },
  {
    method: "get",
    path: "/api/v1/requests/export",
    operationId: "exportRequests",
    summary: "The whole filtered list as one download (audit export)",
    description:
      "The list's filters, every page of them, streamed newest first: NDJSON (one RequestSummary per line, the default) or CSV (`format=csv`, a header row, text cells that a spreadsheet would run as a formula prefixed with an apostrophe). Rows received after the export started are not in it; a failure part-way cuts the answer off without its final chunk. Roles: auditors only (others get 403, rule `role`); every export is written to access_log before the first byte.",
    tags: ["read"],
    security: "bearer",
    params: { query: listFiltersQuerySchema.extend(exportQuerySchema.shape) },
    responses: {
      200: {
        description:
          "An attachment (Content-Disposition): application/x-ndjson, one RequestSummary per line, or text/csv",
        schema: requestSummarySchema,
        contentType: "application/x-ndjson",
        alternatives: [{ contentType: "text/csv; charset=utf-8; header=present", schema: csvExportSchema }],
        headers: {
          ...noStore,
          "Content-Disposition": {
            description: 'attachment; filename="requests-<time>.ndjson" (or .csv)',
            schema: z.string(),
          },
        },
      },
    },
    errors: {
      403: "Only an auditor may export (rule `role`)",
      422: "A filter or parameter is invalid or unknown (`errors` names each one as /<parameter>)",
      503: "PostgreSQL is unavailable",
    },
    examples: [
      {
        name: "csv",
        summary: "An auditor: every request since a date, as CSV",
        role: "auditor",
        query: { format: "csv", from: "2026-01-01T00:00:00Z" },
        status: 200,
      },
      {
        name: "ndjson",
        summary: "An auditor: the successful AWS requests, as NDJSON",
        role: "auditor",
        query: { status: "SUCCESS", provider: "aws" },
        status: 200,
      },
      {
        name: "not-an-auditor",
        summary: "A submitter may not export",
        query: { format: "csv" },
        status: 403,
      },
    ],
  },
  {
    method: "get",
    path: "/api/v1/requests/{id}",
    operationId: "getRequest",
    summary: "A request's status",
    description:
      "Cache-aside (X-Cache: HIT, MISS, or BYPASS while Redis is down). Roles: every role; a submitter sees only its own requests (another client's is a 404, exactly as an unknown id), operators and auditors every client's.",
    tags: ["requests"],
    security: "bearer",
    params: { path: correlationIdParams },
    responses: {
      200: {
        description: "The request, its outcome and its revocation",
        schema: statusViewSchema,
        headers: {
          "X-Cache": { description: "HIT, MISS or BYPASS", schema: z.enum(["HIT", "MISS", "BYPASS"]) },
        },
      },
    },
    errors: {
      400: "The id is not a UUID",
      404: "No such request (or one the caller may not see)",
      503: "PostgreSQL is unavailable and the status is not cached",
    },
    examples: [
      { name: "found", summary: "An active grant", path: { id: EXAMPLE_IDS.activeGrant }, status: 200 },
      { name: "unknown", summary: "An id never used", path: { id: EXAMPLE_IDS.unknown }, status: 404 },
      { name: "not-a-uuid", summary: "Not a correlation id", path: { id: "12345" }, status: 400 },
    ],
  },
  {
    method: "get",
    path: "/api/v1/requests/{id}/events",
    operationId: "requestEvents",
    summary: "A request's timeline (audit events), oldest first",
    description:
      "Every request_events row of the request: RECEIVED, STATUS, OBLIGATION_OPENED, PRE_EXISTING, RETRY, REVOKE_REQUESTED, EXTENDED, REVOCATION, REVOCATION_RETRY, DRIFT_*. `limit` and `after` page a long history (revocations retry without end). Roles: every role; a submitter sees only its own requests (another client's is a 404), operators and auditors every client's.",
    tags: ["read"],
    security: "bearer",
    params: { path: correlationIdParams, query: eventsQuerySchema },
    responses: {
      200: {
        description: "The events, and where the next page starts",
        schema: requestEventsSchema,
        headers: noStore,
      },
    },
    errors: {
      400: "The id is not a UUID",
      404: "No such request (or one the caller may not see)",
      422: "`limit` or `after` is invalid",
      503: "PostgreSQL is unavailable",
    },
    examples: [
      {
        name: "timeline",
        summary: "An active grant's history",
        path: { id: EXAMPLE_IDS.activeGrant },
        query: { limit: "100" },
        status: 200,
      },
      { name: "unknown", summary: "An id never used", path: { id: EXAMPLE_IDS.unknown }, status: 404 },
      {
        name: "bad-limit",
        summary: "A page size out of range",
        path: { id: EXAMPLE_IDS.activeGrant },
        query: { limit: "0" },
        status: 422,
      },
    ],
  },
  {
    method: "post",
    path: "/api/v1/requests/{id}/revoke",
    operationId: "revokeRequest",
    summary: "Revoke an active grant now",
    description:
      "Moves the grant's revocation to now, under the asking client's guardrails (docs/policy.md). The access is removed by a worker within seconds; follow it with GET. Roles: a submitter its own grants, an operator any client's; an auditor gets 403 (rule `role`).",
    tags: ["requests"],
    security: "bearer",
    params: { path: correlationIdParams },
    responses: {
      202: {
        description: "The revocation is due now",
        schema: revokeAcceptedSchema,
        headers: { Location: location },
      },
    },
    errors: {
      400: "The id is not a UUID",
      403: "The caller's role or guardrails do not allow revoking this access",
      404: "No such request (or one the caller may not see)",
      409: "Not an active grant (already revoked, failed, or a revoke request)",
      503: "PostgreSQL or Redis is unavailable",
    },
    examples: [
      {
        name: "revoke",
        summary: "End an active grant early",
        path: { id: EXAMPLE_IDS.revocableGrant },
        status: 202,
      },
      {
        name: "already-ended",
        summary: "A grant already revoked",
        path: { id: EXAMPLE_IDS.endedGrant },
        status: 409,
      },
    ],
  },
  {
    method: "post",
    path: "/api/v1/requests/{id}/extend",
    operationId: "extendGrant",
    summary: "Move an active grant's end later",
    description:
      "`{expires_at}` (the new end) or `{duration}` (how much later than the current end), exactly one. The revocation moves with it. The caller's guardrails apply as to a grant asked for at the grant's start: `max_duration` and MAX_GRANT_DURATION count from `received_at`, so extending in steps gets no further than one request could (docs/revocation.md#extension). Records an EXTENDED event (webhook grant.extended). Roles: a submitter its own grants only; operators and auditors get 403 (rule `role`).",
    tags: ["requests"],
    security: "bearer",
    params: { path: correlationIdParams },
    body: { schema: extendBodySchema, description: "The new end, or how much later than the current end" },
    responses: {
      200: {
        description: "The grant's end and its scheduled revocation have moved",
        schema: extendResponseSchema,
        headers: { Location: location },
      },
    },
    errors: {
      400: "The id is not a UUID, or the body is not JSON",
      403: "The caller's role or guardrails do not allow this end (`rule` names which)",
      404: "No such request (or one the caller may not see)",
      409: "Not an active grant (revoked, failed, a revoke request), or its revocation is in progress",
      413: "The body is larger than 64 KiB",
      415: "The content type is not application/json",
      422: "The body does not match the schema, or the new end is not later than the current one",
      503: "PostgreSQL or Redis is unavailable; nothing was changed",
    },
    examples: [
      {
        name: "one-more-hour",
        summary: "One more hour",
        path: { id: EXAMPLE_IDS.extendableGrant },
        body: { duration: "PT1H" },
        status: 200,
      },
      {
        name: "both",
        summary: "expires_at and duration together",
        path: { id: EXAMPLE_IDS.extendableGrant },
        body: { expires_at: "2030-01-31T18:00:00Z", duration: "PT1H" },
        status: 422,
      },
      {
        name: "ended",
        summary: "A grant already revoked",
        path: { id: EXAMPLE_IDS.endedGrant },
        body: { duration: "PT1H" },
        status: 409,
      },
      {
        name: "operator",
        summary: "An operator may not extend",
        role: "operator",
        path: { id: EXAMPLE_IDS.extendableGrant },
        body: { duration: "PT1H" },
        status: 403,
      },
    ],
  },
];
