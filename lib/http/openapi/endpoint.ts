import type { z } from "zod";
import type { Role } from "../../policy/schema.ts";

/** One documented answer of an endpoint. */
export interface EndpointResponse {
  description: string;
  /** The body's schema; none for an empty body. */
  schema?: z.ZodType;
  /** Default application/json. */
  contentType?: string;
  headers?: Record<string, { description: string; schema: z.ZodType }>;
  /**
   * Other media types the same status answers, chosen by a parameter (the export's `format`).
   * For a sequential type (application/x-ndjson) the schema is that of each line.
   */
  alternatives?: readonly { contentType: string; schema: z.ZodType }[];
}

/**
 * One request of the documentation that the contract test also sends (tests/openapi): the same
 * values appear in the document's examples. Path values name fixtures the test seeds.
 */
export interface EndpointExample {
  name: string;
  summary: string;
  path?: Record<string, string>;
  /** Query parameters; an array is the key repeated (`status=FAILED&status=PENDING`). */
  query?: Record<string, string | readonly string[]>;
  headers?: Record<string, string>;
  /** A JSON body. */
  body?: unknown;
  /** A body sent as is (malformed JSON, another content type). */
  rawBody?: string;
  /** Sent without a token (the default is an authenticated client). */
  anonymous?: boolean;
  /** The role of the client that sends it (docs/policy.md#roles); a submitter by default. */
  role?: Role;
  /** The status the API answers. */
  status: number;
}

/**
 * One endpoint of the HTTP API: the OpenAPI document (document.ts) is built from a list of these,
 * with every schema generated from the zod schemas the routes validate with. A new route gets an
 * entry in lib/http/openapi/endpoints/; the test "every route the app serves is documented"
 * fails until it has one.
 */
export interface Endpoint {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** OpenAPI template: /api/v1/requests/{id}. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: readonly string[];
  /** "bearer": Authorization: Bearer <token> (adds 401 and 429); "none": public. */
  security: "bearer" | "none";
  params?: { path?: z.ZodObject; query?: z.ZodObject; header?: z.ZodObject };
  body?: { schema: z.ZodType; description: string; contentType?: string };
  responses: Readonly<Record<number, EndpointResponse>>;
  /** problem+json errors of this endpoint besides 401/429/500: status → when. */
  errors: Readonly<Record<number, string>>;
  examples: readonly EndpointExample[];
}
