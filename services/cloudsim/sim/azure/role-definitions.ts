import { armError, armJson } from "./arm-response.ts";
import { parseDefinitionFilter } from "./odata-filter.ts";
import { paginate } from "./paging.ts";
import type { OkScope } from "./role-assignments.ts";
import { isAtOrAbove, isGuid } from "./scope.ts";
import {
  type ArmState,
  allRoleDefinitions,
  findRoleDefinition,
  type RoleDefinitionRecord,
  renderRoleDefinition,
} from "./state.ts";

export interface DefinitionContext {
  state: ArmState;
  baseUrl: string;
  pageSize: number;
}

/** A custom role is visible where it is assignable, and above that (where it was defined from). */
const visibleAt = (r: RoleDefinitionRecord, key: string) =>
  r.assignableScopes.some((s) => isAtOrAbove(s, key) || isAtOrAbove(key, s));

const notFound = (id: string) =>
  armError(
    404,
    "RoleDefinitionDoesNotExist",
    `The specified role definition with ID '${id}' does not exist.`,
  );

export function getRoleDefinition(ctx: DefinitionContext, scope: OkScope, id: string): Response {
  ctx.state.calls.roleDefinitionReads++;
  if (!isGuid(id)) return notFound(id);
  const r = findRoleDefinition(ctx.state, id);
  if (r === undefined || !visibleAt(r, scope.key)) return notFound(id);
  return armJson(200, renderRoleDefinition(r, scope.subscriptionId));
}

/** `$filter=roleName eq '…'` (case-insensitive, as Azure matches role names) and/or `type eq '…'`. */
export function listRoleDefinitions(
  ctx: DefinitionContext,
  scope: OkScope,
  url: URL,
  path: string,
): Response {
  ctx.state.calls.roleDefinitionReads++;
  const filterParam = [...url.searchParams].find(([k]) => k.toLowerCase() === "$filter")?.[1] ?? null;
  const filter = parseDefinitionFilter(filterParam);
  if (filter === null) {
    return armError(400, "UnsupportedQuery", `The filter '${filterParam ?? ""}' is not supported.`);
  }
  const wantName = filter.roleName?.toLowerCase() ?? null;
  const items = allRoleDefinitions(ctx.state)
    .filter((r) => visibleAt(r, scope.key))
    .filter((r) => wantName === null || r.roleName.toLowerCase() === wantName)
    .filter((r) => filter.type === null || r.type === filter.type);
  const page = paginate(items, (r) => renderRoleDefinition(r, scope.subscriptionId), {
    url,
    path,
    baseUrl: ctx.baseUrl,
    pageSize: ctx.pageSize,
  });
  if (!page.ok) return armError(400, "InvalidSkipToken", "The skip token is not valid.");
  return armJson(200, page.body);
}
