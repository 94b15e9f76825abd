import {
  deliveriesPageSchema,
  deliveriesQuerySchema,
  deliveryIdParams,
  redeliverResponseSchema,
} from "../../../webhooks/api-schemas.ts";
import type { Endpoint } from "../endpoint.ts";
import { EXAMPLE_IDS } from "../examples.ts";

/** lib/http/routes/webhooks.ts (docs/webhooks.md#api) */
export const webhookEndpoints: readonly Endpoint[] = [
  {
    method: "get",
    path: "/api/v1/webhooks/deliveries",
    operationId: "listDeliveries",
    summary: "Signed callbacks: one row per (event, endpoint), newest first",
    description:
      "Each delivery with its attempts so far: status (pending, delivered, dead), the last answer's HTTP status or error, when it is tried next. Its `id` is the Standard Webhooks `webhook-id` of every attempt. Keyset pages: pass `next_cursor` back as `cursor`. Roles: every role; a submitter sees the deliveries of its own requests (another client's look like none), operators and auditors everyone's (their reads are written to access_log).",
    tags: ["webhooks"],
    security: "bearer",
    params: { query: deliveriesQuerySchema },
    responses: { 200: { description: "One page of deliveries", schema: deliveriesPageSchema } },
    errors: {
      422: "A parameter is invalid, unknown or repeated (`errors` names each one as query:<name>)",
      503: "PostgreSQL is unavailable",
    },
    examples: [
      {
        name: "of-a-request",
        summary: "The callbacks of one request (the dashboard's timeline)",
        query: { correlation_id: EXAMPLE_IDS.activeGrant },
        status: 200,
      },
      {
        name: "operator-pending",
        summary: "An operator: every client's pending deliveries",
        role: "operator",
        query: { status: "pending", limit: "20" },
        status: 200,
      },
      { name: "bad-status", summary: "A status that does not exist", query: { status: "sent" }, status: 422 },
    ],
  },
  {
    method: "post",
    path: "/api/v1/webhooks/deliveries/{id}/redeliver",
    operationId: "redeliver",
    summary: "Send a delivered or dead delivery again",
    description:
      "Under the same `webhook-id` (receivers dedupe on it), with a fresh retry horizon; the webhooks service sends it within seconds. Roles: a submitter its own requests' deliveries, an operator any client's; an auditor gets 403 (rule `role`).",
    tags: ["webhooks"],
    security: "bearer",
    params: { path: deliveryIdParams },
    responses: { 202: { description: "Queued to be sent again", schema: redeliverResponseSchema } },
    errors: {
      400: "The id is not a UUID",
      403: "An auditor may not redeliver (rule `role`)",
      404: "No such delivery (or one the caller may not see)",
      409: "The delivery is still pending: it is retried without asking",
      503: "PostgreSQL or Redis is unavailable",
    },
    examples: [
      {
        name: "again",
        summary: "Send a delivered callback again",
        path: { id: EXAMPLE_IDS.deliveredDelivery },
        status: 202,
      },
      {
        name: "still-pending",
        summary: "A delivery still being retried",
        path: { id: EXAMPLE_IDS.pendingDelivery },
        status: 409,
      },
      { name: "unknown", summary: "An id never used", path: { id: EXAMPLE_IDS.unknown }, status: 404 },
      {
        name: "auditor",
        summary: "An auditor may not redeliver",
        role: "auditor",
        path: { id: EXAMPLE_IDS.deliveredDelivery },
        status: 403,
      },
    ],
  },
];
