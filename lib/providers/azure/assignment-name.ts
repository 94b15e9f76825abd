import { createHash } from "node:crypto";

/**
 * Namespace for role-assignment names. NEVER change it: every live grant's revoke recomputes its
 * assignment's name from the correlation id, so a new namespace would make those revokes miss
 * (204, "already gone") and leave the access in place.
 */
export const ASSIGNMENT_NAME_NAMESPACE = "d2e0be23-c3c4-486e-99b0-3e13afc2370f";

/** RFC 9562 version-5 (SHA-1, name-based) UUID: same namespace and name → same UUID, everywhere. */
export function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replaceAll("-", ""), "hex");
  if (ns.length !== 16) throw new Error(`namespace is not a UUID: ${namespace}`);
  const bytes = createHash("sha1").update(ns).update(name, "utf8").digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The role assignment name a grant uses: derived from its correlation id, so a retried or
 * redelivered grant PUTs the same name (idempotent) and its revoke can find it without any lookup.
 */
export function assignmentNameFor(correlationId: string): string {
  return uuidV5(correlationId.toLowerCase(), ASSIGNMENT_NAME_NAMESPACE);
}
