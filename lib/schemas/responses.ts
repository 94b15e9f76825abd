import { z } from "zod";

// What the API answers, as zod schemas: the TypeScript types of the answers are inferred from
// them, and the OpenAPI document (lib/http/openapi) is generated from them, so the three cannot
// drift. Request bodies are lib/schemas/request.ts; path and header parameters are params.ts.

const iso = z.iso.datetime({ offset: true });
const status = z.enum(["PENDING", "PROCESSING", "SUCCESS", "FAILED"]);
const revocationStatus = z.enum(["SCHEDULED", "REVOKED", "FAILED", "SKIPPED"]).nullable();

/** One failing location of a 422 (RFC 6901 pointer into the body, or `header:<name>`). */
export const fieldIssueSchema = z.object({
  pointer: z
    .string()
    .meta({ description: "JSON Pointer into the body, or header:<name>", example: "/principal" }),
  detail: z.string(),
});

/** RFC 9457 problem details, as every error of the API is answered (application/problem+json). */
export const problemSchema = z
  .object({
    type: z.url().meta({
      description: "Stable URI per error code",
      example: "https://csecbridge.dev/problems/not_found",
    }),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string(),
    code: z
      .enum([
        "unauthorized",
        "malformed_json",
        "payload_too_large",
        "unsupported_media_type",
        "validation_failed",
        "invalid_id",
        "invalid_cursor",
        "not_found",
        "forbidden_by_policy",
        "idempotency_conflict",
        "conflict",
        "method_not_allowed",
        "rate_limited",
        "dependency_unavailable",
        "internal",
      ])
      .meta({ description: "Stable error code: match on this, never on `detail`" }),
    errors: z.array(fieldIssueSchema).optional().meta({ description: "422 only: every failing location" }),
    rule: z.string().optional().meta({ description: "403 only: the guardrail or role rule that refused" }),
  })
  .meta({ title: "Problem (RFC 9457)" });

export type Problem = z.infer<typeof problemSchema>;

/** POST /api/v1/requests → 202. */
export const submitAcceptedSchema = z.object({
  correlation_id: z.uuid(),
  status: status.meta({ description: "PENDING when new; where the first request has got to on a replay" }),
});

/** GET /api/v1/requests/{id} → 200; also what the status cache stores. */
export const statusViewSchema = z.object({
  correlation_id: z.uuid(),
  status,
  cloud_provider: z.enum(["aws", "azure"]),
  action: z.enum(["grant", "revoke"]),
  client: z.string().meta({ description: "The API client (token name) that submitted it" }),
  received_at: iso,
  completed_at: iso.nullable(),
  error_details: z.unknown().meta({
    description:
      "null, or the cloud's own error: {code, message, provider, http_status, retryable, attempts}",
  }),
  expires_at: iso
    .nullable()
    .meta({ description: "The expiry that was asked for (moved by an extension; never by an early revoke)" }),
  original_expires_at: iso.nullable().meta({
    description: "The expiry first asked for, before any extension (= expires_at while never extended)",
  }),
  revoke_at: iso.nullable().meta({
    description:
      "When the access ends or ended (the effective end): expires_at, or earlier (early revoke, a failed grant's compensation)",
  }),
  ended_by: z
    .object({
      client: z.string(),
      role: z.string().optional(),
      at: iso,
      how: z.enum(["early_revoke", "revoke_request"]),
      request: z
        .uuid()
        .optional()
        .meta({ description: "The revoke request that ended it (how = revoke_request)" }),
    })
    .nullable()
    .meta({
      description:
        "Who ended the grant before its expiry, when and how; null when it ran (or runs) to its end",
    }),
  pre_existing: z.boolean().nullable().meta({
    description:
      "The access existed before the grant (then it is left in place at the end); null until known",
  }),
  revocation_status: revocationStatus.meta({
    description:
      "A grant's revocation obligation: SCHEDULED (open), REVOKED (access removed), SKIPPED (pre-existing or handed to an overlapping grant), FAILED (permanent error; watched by the drift sweep)",
  }),
  revoked_at: iso.nullable(),
  revocation_error: z
    .unknown()
    .meta({ description: "null, or why a revocation FAILED: the cloud's code and message" }),
  request: z.unknown().meta({ description: "The request as accepted" }),
});

/** POST /api/v1/requests/{id}/revoke → 202. */
export const revokeAcceptedSchema = z.object({
  correlation_id: z.uuid(),
  status,
  revocation: z.literal("requested"),
});

export const healthSchema = z.object({ status: z.literal("ok") });

export const readinessSchema = z.object({
  status: z.enum(["ready", "unavailable"]),
  postgres: z.enum(["ok", "down", "unmigrated"]),
  redis: z.enum(["ok", "down"]),
});
