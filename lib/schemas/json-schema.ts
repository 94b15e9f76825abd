import { z } from "zod";
import { requestPayloadSchema } from "./request.ts";

export const REQUEST_SCHEMA_ID = "https://csecbridge.local/schemas/request-payload.json";

let cached: Record<string, unknown> | undefined;

/**
 * JSON Schema (draft 2020-12) of the request payload, generated from the zod schema so the two
 * cannot drift. It describes what a client may send (`io: "input"`). Checks JSON Schema cannot
 * state (the size bound of a policy document, group_membership needing a user, Action xor
 * NotAction, expiry in the future and within the maximum) are left out rather than failing the
 * generation (`unrepresentable: "any"`): the schema is a superset, and the API's 422 is the truth.
 * Generated once: the zod schema is static and the endpoint is public.
 */
export function requestJsonSchema(): Record<string, unknown> {
  if (cached === undefined) {
    const generated = z.toJSONSchema(requestPayloadSchema, {
      target: "draft-2020-12",
      io: "input",
      unrepresentable: "any",
    });
    cached = deepFreeze({
      ...generated,
      $schema: "https://json-schema.org/draft/2020-12/schema",
      $id: REQUEST_SCHEMA_ID,
      title: "CSecBridge access request",
      description:
        "POST /api/v1/requests body: grant or revoke one AWS IAM permission or Azure role assignment. " +
        "A grant needs expires_at (RFC 3339, in the future) or duration (ISO 8601, e.g. PT2H), not both.",
    });
  }
  return cached;
}

// Every caller shares the memoized object: freezing it keeps one caller from changing it for all.
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
