import type { AuthorizationManagementClient, RoleAssignment } from "@azure/arm-authorization";
import { normalizeScope, roleGuid } from "../../schemas/request.ts";

export interface AssignmentQuery {
  scope: string;
  principalId: string;
  roleDefinitionId: string;
  /** When several match (e.g. with different ABAC conditions), prefer this name: ours. */
  preferName?: string;
}

/**
 * The role assignment giving `principalId` the role exactly at `scope` (not inherited from above,
 * not below), found the way the notes prescribe: list the principal's assignments at the scope.
 */
export async function findAssignment(
  client: AuthorizationManagementClient,
  q: AssignmentQuery,
  abortSignal: AbortSignal,
): Promise<RoleAssignment | undefined> {
  const scopeKey = normalizeScope(q.scope);
  const guid = roleGuid(q.roleDefinitionId);
  const filter = `principalId eq '${q.principalId.toLowerCase()}'`;
  const matches: RoleAssignment[] = [];
  for await (const a of client.roleAssignments.listForScope(q.scope, { filter, abortSignal })) {
    if (a.scope === undefined || a.roleDefinitionId === undefined) continue;
    if (normalizeScope(a.scope) === scopeKey && roleGuid(a.roleDefinitionId) === guid) matches.push(a);
  }
  const preferred = q.preferName?.toLowerCase();
  return matches.find((a) => a.name?.toLowerCase() === preferred) ?? matches[0];
}
