/**
 * ARM scopes as the simulator understands them: the tenant root, a management group, a
 * subscription, a resource group, or a resource below one. Comparisons are case-insensitive
 * (ARM paths are), but the caller's spelling is kept for ids echoed back, as ARM does.
 */
export type ScopeResult =
  | { ok: true; scope: string; key: string; subscriptionId: string | null; isRoot: boolean }
  | { ok: false; status: number; code: string; message: string };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SEGMENT = /^[-\w.()~]{1,90}$/;
const RESOURCE_GROUP = /^[-\w.()]{1,90}$/;
const NAMESPACE = /^[A-Za-z0-9.]{1,64}$/;

export const isGuid = (s: string): boolean => GUID.test(s);

/** Lower-case, one leading slash, no trailing slash: the form scopes are compared in. */
export function scopeKey(scope: string): string {
  const trimmed = scope.replace(/^\/+/, "").replace(/\/+$/, "");
  return `/${trimmed}`.toLowerCase();
}

/**
 * Validates a scope. Error codes follow ARM where it is known to use them (MissingSubscription,
 * InvalidSubscriptionId); the rest are the simulator's closest approximation and all are 400s,
 * which is what a caller must treat as permanent anyway.
 */
export function parseScope(raw: string): ScopeResult {
  const scope = `/${raw.replace(/^\/+/, "").replace(/\/+$/, "")}`;
  const parts = scope.split("/").slice(1);
  const ok = (subscriptionId: string | null): ScopeResult => ({
    ok: true,
    scope: scope === "/" ? "/" : scope,
    key: scopeKey(scope),
    subscriptionId,
    isRoot: scope === "/",
  });
  if (scope === "/") return ok(null);
  const [first = "", second = "", third = "", fourth = "", ...rest] = parts;
  if (first.toLowerCase() === "providers") {
    if (
      second.toLowerCase() === "microsoft.management" &&
      third.toLowerCase() === "managementgroups" &&
      SEGMENT.test(fourth) &&
      rest.length === 0
    ) {
      return ok(null);
    }
    return missingSubscription();
  }
  if (first.toLowerCase() !== "subscriptions") return missingSubscription();
  if (!GUID.test(second)) {
    return {
      ok: false,
      status: 400,
      code: "InvalidSubscriptionId",
      message: `The provided subscription identifier '${second}' is malformed or invalid.`,
    };
  }
  if (parts.length === 2) return ok(second.toLowerCase());
  if (third.toLowerCase() !== "resourcegroups" || !RESOURCE_GROUP.test(fourth) || fourth.endsWith(".")) {
    return {
      ok: false,
      status: 400,
      code: "InvalidResourceGroup",
      message: `The provided resource group name in scope '${scope}' is invalid.`,
    };
  }
  if (rest.length === 0) return ok(second.toLowerCase());
  // A resource: providers/<namespace>/<type>/<name>[/<type>/<name>]...
  const [providers = "", namespace = "", ...typeNamePairs] = rest;
  if (
    providers.toLowerCase() !== "providers" ||
    !NAMESPACE.test(namespace) ||
    typeNamePairs.length === 0 ||
    typeNamePairs.length % 2 !== 0 ||
    !typeNamePairs.every((s) => SEGMENT.test(s))
  ) {
    return {
      ok: false,
      status: 400,
      code: "InvalidResourceId",
      message: `The scope '${scope}' is not a valid resource id.`,
    };
  }
  return ok(second.toLowerCase());
}

function missingSubscription(): ScopeResult {
  return {
    ok: false,
    status: 400,
    code: "MissingSubscription",
    message: "The request did not have a subscription or a valid tenant level resource provider.",
  };
}

/** True when `ancestor` is `scope` itself or contains it (tenant root contains everything). */
export function isAtOrAbove(ancestorKey: string, key: string): boolean {
  if (ancestorKey === "/" || ancestorKey === key) return true;
  return key.startsWith(`${ancestorKey}/`);
}
