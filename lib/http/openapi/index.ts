import { VERSION } from "../../version.ts";
import { buildOpenApiDocument } from "./document.ts";
import type { Endpoint } from "./endpoint.ts";
import { metaEndpoints } from "./endpoints/meta.ts";
import { requestEndpoints } from "./endpoints/requests.ts";
import { searchEndpoints } from "./endpoints/search.ts";
import { statsEndpoints } from "./endpoints/stats.ts";
import { webhookEndpoints } from "./endpoints/webhooks.ts";

export type { Endpoint } from "./endpoint.ts";

/**
 * Every endpoint the API serves, one entry each. Add the entries of a new router here (its own
 * file in endpoints/); tests/openapi fails for any route that has none.
 */
export const ENDPOINTS: readonly Endpoint[] = [
  ...requestEndpoints,
  ...searchEndpoints,
  ...statsEndpoints,
  ...webhookEndpoints,
  ...metaEndpoints,
];

let cached: Record<string, unknown> | undefined;

/** The OpenAPI 3.1 document of ENDPOINTS, built once (the schemas are static). */
export function openApiDocument(): Record<string, unknown> {
  cached ??= buildOpenApiDocument(ENDPOINTS, VERSION);
  return cached;
}
