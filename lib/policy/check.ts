import { parseIsoDuration } from "../config/env.ts";
import { PolicyDeniedError } from "../errors/http-errors.ts";
import type { AwsRequest, AzureRequest, ParsedRequest, RequestPayload } from "../schemas/request.ts";
import { roleGuid } from "../schemas/request.ts";
import { isConfiguredEndpoint } from "../webhooks/directory.ts";
import { compileGlob } from "./glob.ts";
import type { ClientPolicy, Policy } from "./schema.ts";
import { scopeWithin } from "./scope-prefix.ts";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Applies a client's guardrails to a validated request (docs/policy.md); throws
 * PolicyDeniedError naming the rule and the refused value, before anything is written.
 * `policy` null means no policy file: everything the schema accepts is allowed (the schema already
 * bounds a grant by MAX_GRANT_DURATION). With a file, whatever is not allowed is denied.
 * Revokes are held to the same permission rules as grants: a client that may not grant some
 * access has no business removing it either.
 */
export function checkPolicy(policy: Policy | null, client: string, req: ParsedRequest, now: Date): void {
  if (policy === null) return;
  // hasOwn: a client named e.g. "constructor" must not find Object.prototype's member.
  const rules = Object.hasOwn(policy.clients, client) ? policy.clients[client] : undefined;
  if (rules === undefined)
    deny("clients", `client "${client}" is not in the policy file, so it may do nothing`);

  const { payload } = req;
  if (!(rules.actions ?? ["grant", "revoke"]).includes(payload.action)) {
    deny("actions", `client "${client}" may not ${payload.action}`);
  }
  if (!(rules.providers ?? []).includes(payload.provider)) {
    deny("providers", `client "${client}" may not use provider ${payload.provider}`);
  }
  if (payload.provider === "aws") checkAws(rules, client, payload);
  else checkAzure(rules, client, payload);
  checkDuration(rules, client, req, now);
}

function deny(rule: string, message: string): never {
  throw new PolicyDeniedError(`${message} (rule ${rule})`, rule);
}

const anyMatch = (globs: readonly string[], value: string, caseInsensitive = false) =>
  globs.some((g) => compileGlob(g, { caseInsensitive })(value));

function checkAws(rules: ClientPolicy, client: string, p: AwsRequest): void {
  const aws = rules.aws ?? {};
  const principal = `${p.principal.type}/${p.principal.name}`;
  if (aws.principals !== undefined && !anyMatch(aws.principals, principal)) {
    deny("aws.principals", `client "${client}" may not act on principal ${principal}`);
  }
  const perm = p.permission;
  switch (perm.type) {
    case "managed_policy":
      if (!anyMatch(aws.policy_arns ?? [], perm.policy_arn)) {
        deny("aws.policy_arns", `client "${client}" may not use policy ${perm.policy_arn}`);
      }
      return;
    case "group_membership":
      if (!anyMatch(aws.groups ?? [], perm.group)) {
        deny("aws.groups", `client "${client}" may not use group ${perm.group}`);
      }
      return;
    case "inline_policy":
      // The document itself is never echoed: only whether inline policies are allowed at all.
      if (aws.inline_policies !== true) {
        deny("aws.inline_policies", `client "${client}" may not send inline policies (${perm.policy_name})`);
      }
      return;
  }
}

function checkAzure(rules: ClientPolicy, client: string, p: AzureRequest): void {
  const azure = rules.azure ?? {};
  const entries = azure.roles ?? [];
  // An entry that is a GUID (or a definition id ending in one) names a role definition; any other
  // entry is a role-name glob. A definition_id is allowed only by its GUID listed literally: no
  // glob can stand for "whatever role this GUID turns out to be".
  const ids = new Set(entries.map(roleGuid).filter((g) => GUID.test(g)));
  const nameGlobs = entries.filter((e) => !GUID.test(roleGuid(e)));
  if ("name" in p.role) {
    if (!anyMatch(nameGlobs, p.role.name, true)) {
      deny("azure.roles", `client "${client}" may not assign role "${p.role.name}"`);
    }
  } else if (!ids.has(roleGuid(p.role.definition_id))) {
    deny(
      "azure.roles",
      `client "${client}" may not assign role definition ${roleGuid(p.role.definition_id)}`,
    );
  }
  if (!(azure.scope_prefixes ?? []).some((prefix) => scopeWithin(p.scope, prefix))) {
    deny("azure.scope_prefixes", `client "${client}" may not assign at scope ${p.scope}`);
  }
}

function checkDuration(rules: ClientPolicy, client: string, req: ParsedRequest, now: Date): void {
  if (rules.max_duration === undefined || req.expiresAt === null) return;
  const maxMs = parseIsoDuration(rules.max_duration);
  // The schema guarantees a positive duration; refusing when it cannot be read fails closed.
  if (maxMs === undefined || req.expiresAt.getTime() - now.getTime() > maxMs) {
    deny(
      "max_duration",
      `client "${client}" may grant for at most ${rules.max_duration}, not until ${req.expiresAt.toISOString()}`,
    );
  }
}

/**
 * Guardrails for revoking an existing grant early (POST /api/v1/requests/{id}/revoke): the asking
 * client's rules applied to the grant's access as if the client had itself asked to revoke it —
 * `actions` must include revoke, and the provider, principal, permission and scope rules apply;
 * `max_duration` does not (a revoke has no expiry). The grant's owner gets no pass: a submitter
 * revoking its own grant is held to its rules like anyone else.
 */
export function checkRevokePolicy(
  policy: Policy | null,
  client: string,
  grant: RequestPayload,
  now: Date,
): void {
  checkPolicy(
    policy,
    client,
    { payload: { ...grant, action: "revoke" }, expiresAt: null, durationMs: null },
    now,
  );
}

/**
 * Guardrails for extending a grant (POST /api/v1/requests/{id}/extend): the asking client's rules
 * applied to the grant as if it asked for it again with the new end — `actions` must include
 * grant, the provider, principal and permission rules apply — and `max_duration` is counted from
 * the grant's start (`received_at`), not from now, so a chain of extensions can never last longer
 * than one request could.
 */
export function checkExtendPolicy(
  policy: Policy | null,
  client: string,
  grant: RequestPayload,
  newEnd: Date,
  startedAt: Date,
): void {
  checkPolicy(
    policy,
    client,
    { payload: { ...grant, action: "grant" }, expiresAt: newEnd, durationMs: null },
    startedAt,
  );
}

/**
 * A request's callback_url must be one of its client's configured webhook endpoints (docs/webhooks.md):
 * a caller cannot make the bridge POST wherever it likes. 403, rule `webhooks.endpoints`.
 */
export function checkCallbackUrl(policy: Policy | null, client: string, url: string | undefined): void {
  if (url === undefined) return;
  if (!isConfiguredEndpoint(policy, client, url)) {
    deny("webhooks.endpoints", `client "${client}" has no webhook endpoint ${url}`);
  }
}
