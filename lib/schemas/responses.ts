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
  expires_at: iso.nullable(),
  revocation_status: revocationStatus.meta({
    description:
      "A grant's revocation obligation: SCHEDULED (open), REVOKED (access removed), SKIPPED (pre-existing or handed to an overlapping grant), FAILED (permanent error; watched by the drift sweep)",
  }),
  revoked_at: iso.nullable(),
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
