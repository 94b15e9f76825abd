/**
 * Who may do what: the role model every endpoint checks, in one place (docs/security.md).
 *
 * | action            | submitter (default) | operator            | auditor   |
 * | ----------------- | ------------------- | ------------------- | --------- |
 * | submit            | yes                 | no                  | no        |
 * | read, list, search, events | own requests | every client's   | every client's |
 * | stats             | no                  | yes                 | yes       |
 * | export            | no                  | no                  | yes       |
 * | revoke            | own requests        | every client's      | no        |
 * | extend            | own requests        | no                  | no        |
 * | redeliver         | own requests        | every client's      | no        |
 *
 * Webhook deliveries (GET /api/v1/webhooks/deliveries) are read under "read": a caller sees the
 * deliveries of the requests it may read.
 *
 * Guardrails (lib/policy/check.ts) come on top: a role says which requests a client may act on,
 * its guardrails which accesses. A request outside a caller's visibility does not exist for it:
 * endpoints answer 404 exactly as for an unknown id, so ids cannot be probed. An action the role
 * never allows is a 403 naming the rule "role", before any lookup (it says nothing about the id).
 *
 * Without a policy file every client is a submitter: ownership holds even then. Operator and
 * auditor are only ever granted by name in the policy file.
 */
import { PolicyDeniedError } from "../errors/http-errors.ts";
import type { Policy, Role } from "../policy/schema.ts";

/** The authenticated caller, as every handler and authorization check sees it. */
export interface Caller {
  name: string;
  role: Role;
}

export type Action =
  | "submit"
  | "read"
  | "list"
  | "search"
  | "events"
  | "stats"
  | "export"
  | "revoke"
  | "extend"
  | "redeliver";

interface Grant {
  actions: ReadonlySet<Action>;
  /** "own": only requests whose `client` is the caller; "all": every client's. */
  scope: "own" | "all";
}

const ROLE_GRANTS: Record<Role, Grant> = {
  submitter: {
    actions: new Set<Action>(["submit", "read", "list", "search", "events", "revoke", "extend", "redeliver"]),
    scope: "own",
  },
  operator: {
    actions: new Set<Action>(["read", "list", "search", "events", "stats", "revoke", "redeliver"]),
    scope: "all",
  },
  auditor: {
    actions: new Set<Action>(["read", "list", "search", "events", "stats", "export"]),
    scope: "all",
  },
};

/** A client's role: what the policy file says, submitter otherwise (and without a policy file). */
export function roleOf(policy: Policy | null, client: string): Role {
  const rules = policy && Object.hasOwn(policy.clients, client) ? policy.clients[client] : undefined;
  return rules?.role ?? "submitter";
}

export function callerFor(policy: Policy | null, client: string): Caller {
  return { name: client, role: roleOf(policy, client) };
}

/** May this caller's role ever do `action` (on some request)? */
export function may(caller: Caller, action: Action): boolean {
  return ROLE_GRANTS[caller.role].actions.has(action);
}

/** Throws the 403 (rule "role") when the caller's role never allows `action`. */
export function assertMay(caller: Caller, action: Action): void {
  if (!may(caller, action)) {
    throw new PolicyDeniedError(
      `client "${caller.name}" has role ${caller.role}, which may not ${action} (rule role)`,
      "role",
    );
  }
}

/** Does the request exist for this caller? (A request it cannot read is answered as unknown.) */
export function canRead(caller: Caller, row: { client: string }): boolean {
  return ROLE_GRANTS[caller.role].scope === "all" || row.client === caller.name;
}

/** May the caller revoke this request? Guardrails still apply on top (checkRevokePolicy). */
export function canRevoke(caller: Caller, row: { client: string }): boolean {
  return may(caller, "revoke") && canRead(caller, row);
}

/** May the caller extend this request? Guardrails still apply on top. */
export function canExtend(caller: Caller, row: { client: string }): boolean {
  return may(caller, "extend") && canRead(caller, row);
}

/**
 * The restriction a list, search, stats or export query must apply for this caller: `{client}`
 * means `WHERE client = ${client}`, null means every client's rows. Use it in the SQL, never by
 * filtering rows afterwards (a page would leak counts and cursors).
 */
export function visibilityFilter(caller: Caller): { client: string } | null {
  return ROLE_GRANTS[caller.role].scope === "all" ? null : { client: caller.name };
}

/** Is reading this request an access the audit trail must record (someone other than its owner)? */
export function isNonOwnerAccess(caller: Caller, row: { client: string }): boolean {
  return row.client !== caller.name;
}
