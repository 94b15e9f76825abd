import { searchBodySchema, searchResultSchema } from "../../schemas/search.ts";
import type { Endpoint } from "../endpoint.ts";

/** lib/http/routes/search.ts */
export const searchEndpoints: readonly Endpoint[] = [
  {
    method: "post",
    path: "/api/v1/search",
    operationId: "searchRequests",
    summary: "Find requests by a plain-English query",
    description:
      '`q` becomes the list\'s filters (a deterministic parser, docs/search.md), with "today" and "yesterday" in `tz` (an IANA zone, UTC by default) and now from the API\'s clock; then the list runs with them. The answer shows the filters, one explanation chip per filter and the words not understood. Roles: every role; a submitter finds only its own requests, operators and auditors every client\'s (their searches are written to access_log).',
    tags: ["read"],
    security: "bearer",
    body: { schema: searchBodySchema, description: "The query, the caller's time zone, and paging" },
    responses: {
      200: {
        description: "The filters understood and the first page of results",
        schema: searchResultSchema,
      },
    },
    errors: {
      400: "The body is not JSON, or the cursor is not one this API issued",
      413: "The body is larger than 64 KiB",
      415: "The content type is not application/json",
      422: "The query is too long, the time zone unknown, or the body has unknown fields",
      503: "PostgreSQL is unavailable",
    },
    examples: [
      {
        name: "failed-yesterday",
        summary: "Failed AWS requests yesterday, Berlin time",
        body: { q: "failed aws requests yesterday", tz: "Europe/Berlin" },
        status: 200,
      },
      {
        name: "operator",
        summary: "An operator: active AWS grants of every client",
        role: "operator",
        body: { q: "active aws grants", limit: 20 },
        status: 200,
      },
      {
        name: "unknown-field",
        summary: "A field the search does not take",
        body: { q: "failed", colour: "red" },
        status: 422,
      },
      {
        name: "bad-zone",
        summary: "A time zone that does not exist",
        body: { q: "failed today", tz: "Mars/Olympus_Mons" },
        status: 422,
      },
    ],
  },
];
