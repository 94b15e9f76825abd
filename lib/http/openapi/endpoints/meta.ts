import { z } from "zod";
import { healthSchema, readinessSchema } from "../../../schemas/responses.ts";
import type { Endpoint } from "../endpoint.ts";

const jsonObject = z.record(z.string(), z.unknown());

/** lib/http/routes/health.ts, schema.ts and docs.ts */
export const metaEndpoints: readonly Endpoint[] = [
  {
    method: "get",
    path: "/healthz",
    operationId: "liveness",
    summary: "Liveness: the process answers",
    description:
      "200 while the process runs, whatever PostgreSQL and Redis do (a datastore outage must not restart the API).",
    tags: ["operations"],
    security: "none",
    responses: { 200: { description: "Alive", schema: healthSchema } },
    errors: {},
    examples: [{ name: "alive", summary: "Liveness", anonymous: true, status: 200 }],
  },
  {
    method: "get",
    path: "/readyz",
    operationId: "readiness",
    summary: "Readiness: PostgreSQL (migrated) and Redis answer",
    tags: ["operations"],
    security: "none",
    responses: {
      200: { description: "Ready", schema: readinessSchema },
      503: { description: "A dependency is down or the database is not migrated", schema: readinessSchema },
    },
    errors: {},
    examples: [{ name: "ready", summary: "Readiness", anonymous: true, status: 200 }],
  },
  {
    method: "get",
    path: "/metrics",
    operationId: "metrics",
    summary: "Prometheus metrics of this API process",
    description: "Prometheus text exposition format. Keep it off the public ingress (docs/operations.md).",
    tags: ["operations"],
    security: "none",
    responses: {
      200: {
        description: "Metrics",
        schema: z.string(),
        contentType: "text/plain; version=0.0.4; charset=utf-8",
      },
    },
    errors: {},
    examples: [{ name: "scrape", summary: "What Prometheus scrapes", anonymous: true, status: 200 }],
  },
  {
    method: "get",
    path: "/api/v1/schema",
    operationId: "requestSchema",
    summary: "The request body's JSON Schema (draft 2020-12)",
    description: "Generated from the zod schema the API validates with; the same schema as in this document.",
    tags: ["reference"],
    security: "bearer",
    responses: {
      200: { description: "JSON Schema", schema: jsonObject, contentType: "application/schema+json" },
    },
    errors: {},
    examples: [{ name: "schema", summary: "The request schema", status: 200 }],
  },
  {
    method: "get",
    path: "/api/v1/openapi.json",
    operationId: "openapi",
    summary: "This document (OpenAPI 3.1)",
    description:
      "Public, like the reference page: it describes the API, not a deployment, and holds no secret.",
    tags: ["reference"],
    security: "none",
    responses: { 200: { description: "OpenAPI 3.1 document", schema: jsonObject } },
    errors: {},
    examples: [{ name: "openapi", summary: "The OpenAPI document", anonymous: true, status: 200 }],
  },
  {
    method: "get",
    path: "/api/v1/docs",
    operationId: "apiReference",
    summary: "Interactive API reference (Scalar), served by the API itself",
    description:
      "An HTML page that loads only this server's scripts and this document (Content-Security-Policy: 'self' only; nothing from the internet).",
    tags: ["reference"],
    security: "none",
    responses: {
      200: { description: "HTML page", schema: z.string(), contentType: "text/html; charset=utf-8" },
    },
    errors: {},
    examples: [{ name: "page", summary: "The reference page", anonymous: true, status: 200 }],
  },
  {
    method: "get",
    path: "/api/v1/docs/scalar.js",
    operationId: "apiReferenceScript",
    summary: "The reference page's script (the Scalar standalone bundle, embedded in the binary)",
    tags: ["reference"],
    security: "none",
    responses: {
      200: { description: "JavaScript", schema: z.string(), contentType: "text/javascript; charset=utf-8" },
    },
    errors: {},
    examples: [{ name: "bundle", summary: "The bundle", anonymous: true, status: 200 }],
  },
  {
    method: "get",
    path: "/api/v1/docs/init.js",
    operationId: "apiReferenceInit",
    summary: "Starts the reference page on this document",
    tags: ["reference"],
    security: "none",
    responses: {
      200: { description: "JavaScript", schema: z.string(), contentType: "text/javascript; charset=utf-8" },
    },
    errors: {},
    examples: [{ name: "init", summary: "The page's start-up script", anonymous: true, status: 200 }],
  },
];
