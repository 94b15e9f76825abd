import { z } from "zod";
import { correlationIdParams, submitHeaders } from "../../../schemas/params.ts";
import { requestPayloadSchema } from "../../../schemas/request.ts";
import { revokeAcceptedSchema, statusViewSchema, submitAcceptedSchema } from "../../../schemas/responses.ts";
import type { Endpoint } from "../endpoint.ts";
import { EXAMPLE_IDS, exampleBodies } from "../examples.ts";

const location = { description: "Where to read the request: /api/v1/requests/{id}", schema: z.string() };

/** lib/http/routes/requests.ts */
export const requestEndpoints: readonly Endpoint[] = [
  {
    method: "post",
    path: "/api/v1/requests",
    operationId: "submitRequest",
    summary: "Grant or revoke one access",
    description:
      "Validates the request (every failing location is reported), checks the caller's guardrails, stores it (PENDING) and queues it; a worker carries it out against the cloud. A grant carries a revocation obligation and is revoked at `expires_at` (or after `duration`). Order of work: authenticate → rate limit → role → parse → validate → guardrails → write.",
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
    path: "/api/v1/requests/{id}",
    operationId: "getRequest",
    summary: "A request's status",
    description:
      "Cache-aside (X-Cache: HIT, MISS, or BYPASS while Redis is down). A submitter sees only its own requests: another client's is a 404, exactly as an unknown id.",
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
    method: "post",
    path: "/api/v1/requests/{id}/revoke",
    operationId: "revokeRequest",
    summary: "Revoke an active grant now",
    description:
      "Moves the grant's revocation to now, under the asking client's guardrails (docs/policy.md). The access is removed by a worker within seconds; follow it with GET.",
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
];
