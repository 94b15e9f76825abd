import { z } from "zod";
import { WEBHOOK_EVENT_TYPES } from "./event-types.ts";

// Request and response shapes of the webhook endpoints, exported for the OpenAPI registry.

export const DELIVERY_STATUSES = ["pending", "delivered", "dead"] as const;

/** GET /api/v1/webhooks/deliveries?correlation_id=&status=&event_type=&client=&limit=&cursor= */
export const deliveriesQuerySchema = z.strictObject({
  correlation_id: z.uuid({ error: "must be a UUID" }).optional(),
  status: z.enum(DELIVERY_STATUSES).optional(),
  event_type: z.enum(WEBHOOK_EVENT_TYPES).optional(),
  /** Operators and auditors only narrow by it; a submitter sees its own deliveries whatever it says. */
  client: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** Opaque: the `next_cursor` of the previous page. */
  cursor: z.string().max(200).optional(),
});

export type DeliveriesQuery = z.infer<typeof deliveriesQuerySchema>;

const instant = z.string().describe("RFC 3339 instant, UTC");

/** One delivery: an event to one endpoint, with its attempts so far. */
export const deliveryViewSchema = z.object({
  id: z.uuid(),
  /** The Standard Webhooks `webhook-id` header of every attempt (= id). */
  webhook_id: z.uuid(),
  correlation_id: z.uuid(),
  client: z.string(),
  event_type: z.enum(WEBHOOK_EVENT_TYPES),
  endpoint_url: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number().int(),
  /** HTTP status of the last answer; null when there was none (refused, timed out, unreachable). */
  last_status_code: z.number().int().nullable(),
  last_error: z.string().nullable(),
  last_attempt_at: instant.nullable(),
  /** When it is tried next; null unless pending. */
  next_attempt_at: instant.nullable(),
  delivered_at: instant.nullable(),
  created_at: instant,
});

export type DeliveryView = z.infer<typeof deliveryViewSchema>;

export const deliveriesPageSchema = z.object({
  deliveries: z.array(deliveryViewSchema),
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  next_cursor: z.string().nullable(),
});

export type DeliveriesPage = z.infer<typeof deliveriesPageSchema>;

/** The path of POST /api/v1/webhooks/deliveries/{id}/redeliver: the route validates with it. */
export const deliveryIdParams = z.object({
  id: z
    .string()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "delivery id must be a UUID")
    .meta({
      description: "A delivery's id (= its webhook-id), from GET /api/v1/webhooks/deliveries",
      example: "7c0e5a4d-2b1f-4e3a-9d8c-6b5a4f3e2d1c",
    }),
});

/** POST /api/v1/webhooks/deliveries/{id}/redeliver → 202 */
export const redeliverResponseSchema = z.object({
  id: z.uuid(),
  status: z.literal("pending"),
});

/** The body every webhook carries (Standard Webhooks: type, timestamp, data). */
export const webhookPayloadSchema = z.object({
  type: z.enum(WEBHOOK_EVENT_TYPES),
  timestamp: instant,
  data: z
    .object({
      correlation_id: z.uuid(),
      event_id: z.number().int(),
      /** The request_events kind behind it (STATUS, REVOCATION, EXTENDED, EXPIRY_NOTICE, DRIFT_*). */
      event: z.string(),
      client: z.string(),
      cloud_provider: z.enum(["aws", "azure"]),
      action: z.enum(["grant", "revoke"]),
      principal: z.string(),
      status: z.enum(["PENDING", "PROCESSING", "SUCCESS", "FAILED"]),
      revocation_status: z.enum(["SCHEDULED", "REVOKED", "FAILED", "SKIPPED"]).optional(),
      ticket: z.string().optional(),
      requested_by: z.string().optional(),
      received_at: instant,
      completed_at: instant.optional(),
      expires_at: instant.optional(),
      original_expires_at: instant.optional(),
      revoke_at: instant.optional(),
      revoked_at: instant.optional(),
      pre_existing: z.boolean().optional(),
      ended_by: z.record(z.string(), z.unknown()).optional(),
      /** The event's own detail: error_details of a failure, from/to of an extension, drift facts. */
      detail: z.record(z.string(), z.unknown()).optional(),
    })
    .loose(),
});

export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;
