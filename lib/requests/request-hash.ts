import { createHash } from "node:crypto";
import { canonicalJson } from "../json/canonical-json.ts";

/** Identity of a request body for Idempotency-Key: same data (in any key order), same hash. */
export function requestHash(payload: unknown): string {
  return createHash("sha256").update(canonicalJson(payload)).digest("hex");
}
