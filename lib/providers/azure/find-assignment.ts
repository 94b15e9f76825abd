import type { AuthorizationManagementClient, RoleAssignment } from "@azure/arm-authorization";
import { normalizeScope } from "../../schemas/request.ts";

export interface AssignmentQuery {
  scope: string;
  principalId: string;
}

/**
 * The role assignments of `principalId` exactly at `scope` (not inherited from above, not
 * below), found the way Azure's own tools do: list the principal's assignments at the scope.
 * The caller picks the role it asks about.
 */
export async function findAssignments(
  client: AuthorizationManagementClient,
  q: AssignmentQuery,
  abortSignal: AbortSignal,
): Promise<RoleAssignment[]> {
  const scopeKey = normalizeScope(q.scope);
  const filter = `principalId eq '${q.principalId.toLowerCase()}'`;
  const matches: RoleAssignment[] = [];
  for await (const a of client.roleAssignments.listForScope(q.scope, { filter, abortSignal })) {
    if (a.scope === undefined || a.roleDefinitionId === undefined) continue;
    if (normalizeScope(a.scope) === scopeKey) matches.push(a);
  }
  return matches;
}
