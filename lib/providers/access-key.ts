import { normalizeScope, type RequestPayload, roleGuid } from "../schemas/request.ts";
import { builtinRoleGuid } from "./azure/builtin-roles.ts";

/**
 * Access keys: one string per real access ("who gets what where"), equal for every spelling of
 * it, so overlapping grants share one advisory lock and one revocation decision.
 *
 * AWS: IAM user, role and group names are unique regardless of case and resolved so ("Alice" and
 * "alice" are one user), so those are lower-cased. A managed policy's ARN keeps its case: IAM
 * resolves an ARN only as written, so ".../readonlyaccess" is no policy at all, not ReadOnlyAccess
 * spelled differently. Merging the two keys handed an applied grant's revocation to a grant of the
 * other spelling, whose revoke could not remove it, and took pre-existing access for ours
 * (revocation model, seeds 2033 and 3021). An inline policy name keeps its case for the same
 * reason: were two names that differ only by case two policies, merging their keys would keep the
 * first one's access alive past its expiry.
 *
 * Azure: the principal's object id, the role's definition GUID (a role named by its built-in name
 * and the same role by definition id are one access) and the scope, normalised (case, slashes).
 */
export function awsAccessKey(p: Extract<RequestPayload, { provider: "aws" }>): string {
  const who = `aws:${p.principal.type}/${p.principal.name}`.toLowerCase();
  switch (p.permission.type) {
    case "managed_policy":
      return `${who}:policy:${p.permission.policy_arn}`;
    case "group_membership":
      return `${who}:group:${p.permission.group.toLowerCase()}`;
    case "inline_policy":
      return `${who}:inline:${p.permission.policy_name}`;
  }
}

export function azureAccessKey(principalId: string, roleDefinitionGuid: string, scope: string): string {
  return `azure:${principalId.toLowerCase()}:role:${roleDefinitionGuid.toLowerCase()}:${normalizeScope(scope)}`;
}

/**
 * The key as far as it can be known without asking the cloud: exact for AWS, for Azure roles
 * given by definition id and for built-in role names. A custom Azure role name gives a
 * provisional key; the worker resolves the name to its GUID (ProviderClient.canonical) and stores
 * the canonical key before the request can touch the cloud, so every decision about an access is
 * taken under its canonical key.
 */
export function accessKeyOf(p: RequestPayload): string {
  if (p.provider === "aws") return awsAccessKey(p);
  const guid = "definition_id" in p.role ? roleGuid(p.role.definition_id) : builtinRoleGuid(p.role.name);
  if (guid !== undefined) return azureAccessKey(p.principal.id, guid, p.scope);
  const name = "name" in p.role ? p.role.name.trim().toLowerCase() : "";
  return `azure:${p.principal.id.toLowerCase()}:role-name:${name}:${normalizeScope(p.scope)}`;
}
