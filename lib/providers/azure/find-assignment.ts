import type { AuthorizationManagementClient, RoleAssignment } from "@azure/arm-authorization";
import { normalizeScope, roleGuid } from "../../schemas/request.ts";

export interface AssignmentQuery {
  scope: string;
  principalId: string;
  roleDefinitionGuid: string;
}

/**
 * The role assignments giving `principalId` the role exactly at `scope` (not inherited from above,
 * not below), found the way Azure's own tools do: list the principal's assignments at the scope.
 * Usually one; several only with ABAC conditions.
 */
export async function findAssignments(
  client: AuthorizationManagementClient,
  q: AssignmentQuery,
  abortSignal: AbortSignal,
): Promise<RoleAssignment[]> {
  const scopeKey = normalizeScope(q.scope);
  const guid = q.roleDefinitionGuid.toLowerCase();
  const filter = `principalId eq '${q.principalId.toLowerCase()}'`;
  const matches: RoleAssignment[] = [];
  for await (const a of client.roleAssignments.listForScope(q.scope, { filter, abortSignal })) {
    if (a.scope === undefined || a.roleDefinitionId === undefined) continue;
    if (normalizeScope(a.scope) === scopeKey && roleGuid(a.roleDefinitionId) === guid) matches.push(a);
  }
  return matches;
}
