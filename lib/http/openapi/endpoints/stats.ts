import { statsQuerySchema, statsSchema } from "../../schemas/stats.ts";
import type { Endpoint } from "../endpoint.ts";

/** lib/http/routes/stats.ts */
export const statsEndpoints: readonly Endpoint[] = [
  {
    method: "get",
    path: "/api/v1/stats",
    operationId: "stats",
    summary: "Counts over time, queues and revocations (what the dashboard draws)",
    description:
      "Requests received per bucket for every provider × status (zeros included) in [`from`, `to`) — default the 24 hours up to now on the database clock — with buckets aligned to multiples of their size since 2000-01-03T00:00Z and at most 1,000 of them; the queues per provider from Redis (null when Redis does not answer: the rest still comes); revocations due, late and their lateness. Roles: operators and auditors (a submitter gets 403, rule `role`); every call is written to access_log.",
    tags: ["read"],
    security: "bearer",
    params: { query: statsQuerySchema },
    responses: { 200: { description: "The figures", schema: statsSchema } },
    errors: {
      403: "A submitter may not read stats (rule `role`)",
      422: "A bad instant or bucket, `from` not before `to`, too many buckets, or an unknown parameter",
      503: "PostgreSQL is unavailable",
    },
    examples: [
      {
        name: "hourly",
        summary: "An operator: the last 24 hours by hour",
        role: "operator",
        query: { bucket: "PT1H" },
        status: 200,
      },
      {
        name: "window",
        summary: "An auditor: one day in 5-minute buckets",
        role: "auditor",
        query: { from: "2026-11-29T00:00:00Z", to: "2026-11-30T00:00:00Z", bucket: "PT5M" },
        status: 200,
      },
      {
        name: "months",
        summary: "A bucket that is not a fixed length",
        role: "operator",
        query: { bucket: "P1M" },
        status: 422,
      },
      {
        name: "submitter",
        summary: "A submitter may not read stats",
        query: { bucket: "PT1H" },
        status: 403,
      },
    ],
  },
];
