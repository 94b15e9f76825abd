import { z } from "zod";
import { extendBodySchema, extendResponseSchema } from "../../schemas/extend.ts";
import { requestPayloadSchema } from "../../schemas/request.ts";
import {
  healthSchema,
  problemSchema,
  readinessSchema,
  revokeAcceptedSchema,
  statusViewSchema,
  submitAcceptedSchema,
} from "../../schemas/responses.ts";
import { deliveriesPageSchema, redeliverResponseSchema } from "../../webhooks/api-schemas.ts";
import { requestEventsSchema, requestListSchema, requestSummarySchema } from "../schemas/requests.ts";
import { searchBodySchema, searchResultSchema } from "../schemas/search.ts";
import { statsSchema } from "../schemas/stats.ts";
import type { Endpoint, EndpointResponse } from "./endpoint.ts";

type Json = Record<string, unknown>;

/** Schemas that get a name in components/schemas (and a $ref wherever they are used). */
const NAMED: ReadonlyMap<z.ZodType, string> = new Map<z.ZodType, string>([
  [requestPayloadSchema, "AccessRequest"],
  [problemSchema, "Problem"],
  [submitAcceptedSchema, "Accepted"],
  [statusViewSchema, "RequestStatus"],
  [revokeAcceptedSchema, "RevokeAccepted"],
  [healthSchema, "Health"],
  [readinessSchema, "Readiness"],
  [requestListSchema, "RequestList"],
  [requestSummarySchema, "RequestSummary"],
  [requestEventsSchema, "RequestEvents"],
  [searchBodySchema, "SearchQuery"],
  [searchResultSchema, "SearchResult"],
  [statsSchema, "Stats"],
  [extendBodySchema, "Extension"],
  [extendResponseSchema, "Extended"],
  [deliveriesPageSchema, "DeliveryList"],
  [redeliverResponseSchema, "RedeliveryAccepted"],
]);

const PROBLEM_TITLES: Record<number, string> = {
  400: "Bad request",
  401: "No valid bearer token",
  403: "Forbidden by role or guardrails",
  404: "Not found",
  405: "Method not allowed on this path",
  409: "Conflict",
  413: "Payload too large",
  415: "Unsupported media type",
  422: "Validation failed",
  429: "Rate limited",
  500: "Internal error (details are logged, never returned)",
  503: "A dependency (PostgreSQL or Redis) is unavailable",
};

/**
 * JSON Schema (draft 2020-12, which OpenAPI 3.1 uses) of a zod schema. "input" for what a
 * client sends, "output" for what the API answers. Checks JSON Schema cannot state are left out
 * (`unrepresentable: "any"`): the document is a superset, the API's 422 is the truth.
 */
function jsonSchema(schema: z.ZodType, io: "input" | "output"): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io,
    unrepresentable: "any",
  }) as Json;
  return rest;
}

/**
 * Builds the OpenAPI 3.1 document of `endpoints`. Nothing in it is written by hand but prose:
 * bodies, parameters and answers come from the zod schemas the routes use.
 */
export function buildOpenApiDocument(endpoints: readonly Endpoint[], version: string): Json {
  const components: Record<string, Json> = {};
  const ref = (schema: z.ZodType, io: "input" | "output"): Json => {
    const name = NAMED.get(schema);
    if (name === undefined) return jsonSchema(schema, io);
    components[name] ??= jsonSchema(schema, io);
    return { $ref: `#/components/schemas/${name}` };
  };
  const headerSchemas = {
    "Retry-After": {
      description: "Seconds to wait before trying again",
      schema: { type: "integer", minimum: 0 },
    },
    RateLimit: {
      description: "draft-ietf-httpapi-ratelimit-headers: remaining quota",
      schema: { type: "string" },
    },
    "RateLimit-Policy": { description: "The client's quota and window", schema: { type: "string" } },
    "WWW-Authenticate": { description: 'Bearer realm="csecbridge"', schema: { type: "string" } },
    Allow: { description: "Methods the path answers", schema: { type: "string" } },
  };
  const problem = (status: number, description: string): Json => {
    const headers: Record<string, unknown> = {};
    if (status === 503) headers["Retry-After"] = headerSchemas["Retry-After"];
    if (status === 429) {
      for (const h of ["Retry-After", "RateLimit", "RateLimit-Policy"] as const)
        headers[h] = headerSchemas[h];
    }
    if (status === 401) headers["WWW-Authenticate"] = headerSchemas["WWW-Authenticate"];
    return {
      description: `${PROBLEM_TITLES[status] ?? "Error"}: ${description}`,
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      content: { "application/problem+json": { schema: ref(problemSchema, "output") } },
    };
  };
  const response = (r: EndpointResponse): Json => ({
    description: r.description,
    ...(r.headers
      ? {
          headers: Object.fromEntries(
            Object.entries(r.headers).map(([name, h]) => [
              name,
              { description: h.description, schema: jsonSchema(h.schema, "output") },
            ]),
          ),
        }
      : {}),
    ...(r.schema
      ? {
          content: {
            [r.contentType ?? "application/json"]: { schema: ref(r.schema, "output") },
            ...Object.fromEntries(
              (r.alternatives ?? []).map((a) => [a.contentType, { schema: ref(a.schema, "output") }]),
            ),
          },
        }
      : {}),
  });
  const parameters = (e: Endpoint): Json[] => {
    const out: Json[] = [];
    for (const [where, shape] of [
      ["path", e.params?.path],
      ["query", e.params?.query],
      ["header", e.params?.header],
    ] as const) {
      if (!shape) continue;
      for (const [name, field] of Object.entries(shape.shape) as [string, z.ZodType][]) {
        const schema = jsonSchema(field, "input");
        // Examples are sent as text; shown as the parameter's type: an array even of one value
        // (a repeated key), a number for a numeric parameter.
        const exampleValue = (x: Endpoint["examples"][number]) => {
          const v = where === "path" ? x.path?.[name] : where === "query" ? x.query?.[name] : undefined;
          if (typeof v !== "string") return v;
          if (schema.type === "array") return [v];
          if ((schema.type === "integer" || schema.type === "number") && Number.isFinite(Number(v)))
            return Number(v);
          return v;
        };
        const examples = Object.fromEntries(
          e.examples
            .filter((x) => exampleValue(x) !== undefined)
            .map((x) => [x.name, { summary: x.summary, value: exampleValue(x) }]),
        );
        out.push({
          name,
          in: where,
          required: where === "path" || !field.safeParse(undefined).success,
          ...(typeof schema.description === "string" ? { description: schema.description } : {}),
          schema,
          ...(Object.keys(examples).length > 0 ? { examples } : {}),
        });
      }
    }
    return out;
  };

  const paths: Record<string, Record<string, Json>> = {};
  for (const e of endpoints) {
    const errors: Record<number, string> = { ...e.errors };
    if (e.security === "bearer") {
      errors[401] ??= "Authorization: Bearer <token> is missing or unknown";
      errors[429] ??= "The client is over its rate limit";
    }
    errors[500] ??= "An unexpected error";
    const responses: Record<string, Json> = {};
    for (const [status, r] of Object.entries(e.responses)) responses[status] = response(r);
    for (const [status, description] of Object.entries(errors))
      responses[status] = problem(Number(status), description);
    const bodyExamples = e.examples.filter((x) => x.body !== undefined || x.rawBody !== undefined);
    const params = parameters(e);
    const operation: Json = {
      operationId: e.operationId,
      summary: e.summary,
      ...(e.description ? { description: e.description } : {}),
      tags: [...e.tags],
      security: e.security === "bearer" ? [{ bearerAuth: [] }] : [],
      ...(params.length > 0 ? { parameters: params } : {}),
      ...(e.body
        ? {
            requestBody: {
              required: true,
              description: e.body.description,
              content: {
                [e.body.contentType ?? "application/json"]: {
                  schema: ref(e.body.schema, "input"),
                  ...(bodyExamples.length > 0
                    ? {
                        examples: Object.fromEntries(
                          bodyExamples.map((x) => [
                            x.name,
                            {
                              summary: `${x.summary} (→ ${x.status})`,
                              value: x.body ?? x.rawBody,
                            },
                          ]),
                        ),
                      }
                    : {}),
                },
              },
            },
          }
        : {}),
      responses,
    };
    const item = paths[e.path] ?? {};
    if (item[e.method] !== undefined)
      throw new Error(`two endpoints for ${e.method.toUpperCase()} ${e.path}`);
    item[e.method] = operation;
    paths[e.path] = item;
  }

  return {
    openapi: "3.1.0",
    info: {
      title: "CSecBridge API",
      version,
      summary: "Time-bound access to AWS IAM and Azure RBAC for systems that cannot call them",
      description: [
        "A legacy system POSTs one access request and gets a correlation id back at once (202); workers carry it",
        "out against the cloud and revoke it at its expiry. Every endpoint under /api/v1 needs",
        "`Authorization: Bearer <token>` except this document and its reference page. What a client may do",
        "depends on its role in the policy file (submitter, the default; operator; auditor): each operation",
        "says which roles may call it.",
        "",
        "Errors are RFC 9457 problem details (`application/problem+json`) with a stable `code`; a 422 lists every",
        "failing location. Every authenticated answer carries the `RateLimit` and `RateLimit-Policy` fields. A",
        "known path asked with another method answers 405 with `Allow`.",
      ].join("\n"),
    },
    tags: [
      { name: "requests", description: "Access requests: submit, follow, extend, revoke early" },
      {
        name: "read",
        description:
          "The read side: list, search, timeline, stats, audit export. A submitter sees its own requests; operators and auditors every client's, and their reads are recorded",
      },
      { name: "webhooks", description: "Signed callbacks: what was delivered, and sending one again" },
      { name: "reference", description: "This document, its reference page, the request JSON Schema" },
      { name: "operations", description: "Probes and metrics (no token)" },
    ],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          description:
            "A client secret from API_TOKENS (client:secret); the client's name is recorded on its requests",
        },
      },
    },
  };
}
