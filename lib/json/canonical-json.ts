/**
 * JSON with object keys sorted at every depth: the same value always gives the same text, whatever
 * the key order, even after a round trip through PostgreSQL jsonb (which reorders keys). Used where
 * the text is an identity: Idempotency-Key body hashes and sorted-set members. Built as text, so a
 * key such as "__proto__" stays an ordinary key.
 */
export function canonicalJson(value: unknown): string {
  if (
    value !== null &&
    typeof value === "object" &&
    "toJSON" in value &&
    typeof value.toJSON === "function"
  ) {
    return canonicalJson(value.toJSON());
  }
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && typeof v !== "function")
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
