import { armError, armJson, armNoContent } from "./arm-response.ts";
import { parseAssignmentFilter } from "./odata-filter.ts";
import { paginate } from "./paging.ts";
import { isAtOrAbove, isGuid, type ScopeResult } from "./scope.ts";
import {
  type ArmState,
  assignmentKey,
  findRoleDefinition,
  type PrincipalType,
  type RoleAssignmentRecord,
  renderAssignment,
} from "./state.ts";

export type OkScope = Extract<ScopeResult, { ok: true }>;

export interface AssignmentContext {
  state: ArmState;
  baseUrl: string;
  pageSize: number;
  /** Old ARM answered an identical re-PUT with 409 RoleAssignmentExists; today it answers 201. */
  identicalRePutConflicts: boolean;
  /** Object id of the caller, recorded as createdBy. */
  callerId: string;
}

const PRINCIPAL_TYPES: readonly PrincipalType[] = [
  "User",
  "Group",
  "ServicePrincipal",
  "ForeignGroup",
  "Device",
];
const ROLE_DEFINITION_ID =
  /^(?:\/subscriptions\/([0-9a-f-]{36}))?\/providers\/Microsoft\.Authorization\/roleDefinitions\/([0-9a-f-]{36})$/i;

const invalidName = (name: string) =>
  armError(
    400,
    "InvalidRoleAssignmentId",
    `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`,
  );

interface PutBody {
  roleDefinitionId: string;
  principalId: string;
  principalType: string | null;
  description: string | null;
}

function readPutBody(raw: unknown): PutBody | string {
  if (typeof raw !== "object" || raw === null)
    return "The request content was invalid and could not be deserialized.";
  const props = (raw as { properties?: unknown }).properties;
  if (typeof props !== "object" || props === null) return "The request content is missing 'properties'.";
  const p = props as Record<string, unknown>;
  if (typeof p.roleDefinitionId !== "string") return "The 'roleDefinitionId' property is required.";
  if (typeof p.principalId !== "string") return "The 'principalId' property is required.";
  if (p.principalType !== undefined && p.principalType !== null && typeof p.principalType !== "string") {
    return "The 'principalType' property must be a string.";
  }
  return {
    roleDefinitionId: p.roleDefinitionId,
    principalId: p.principalId,
    principalType: typeof p.principalType === "string" ? p.principalType : null,
    description: typeof p.description === "string" ? p.description : null,
  };
}

/** True when the role definition may be assigned at `scopeKey` (built-ins anywhere). */
function assignableAt(assignableScopes: readonly string[], scopeKey: string): boolean {
  return assignableScopes.some((s) => isAtOrAbove(s, scopeKey));
}

export async function putAssignment(
  ctx: AssignmentContext,
  scope: OkScope,
  name: string,
  req: Request,
): Promise<Response> {
  ctx.state.calls.create++;
  if (!isGuid(name)) return invalidName(name);
  if (scope.isRoot) {
    return armError(
      403,
      "AuthorizationFailed",
      "Role assignments at the root scope '/' need elevated access.",
    );
  }
  let raw: unknown;
  try {
    raw = await req.json();
  } catch {
    return armError(
      400,
      "InvalidRequestContent",
      "The request content was invalid and could not be deserialized.",
    );
  }
  const body = readPutBody(raw);
  if (typeof body === "string") return armError(400, "InvalidRequestContent", body);

  const defMatch = ROLE_DEFINITION_ID.exec(body.roleDefinitionId);
  if (!defMatch) {
    return armError(
      400,
      "InvalidRoleDefinitionId",
      `The role definition ID '${body.roleDefinitionId}' is not valid.`,
    );
  }
  const roleGuid = (defMatch[2] ?? "").toLowerCase();
  const def = findRoleDefinition(ctx.state, roleGuid);
  if (def === undefined || !assignableAt(def.assignableScopes, scope.key)) {
    return armError(
      400,
      "RoleDefinitionDoesNotExist",
      `The specified role definition with ID '${roleGuid}' does not exist.`,
    );
  }

  const principalId = body.principalId.toLowerCase();
  if (!isGuid(principalId)) {
    return armError(400, "InvalidPrincipalId", `The principal ID '${body.principalId}' is not a valid GUID.`);
  }
  if (body.principalType !== null && !PRINCIPAL_TYPES.includes(body.principalType as PrincipalType)) {
    return armError(400, "InvalidPrincipalType", `The principal type '${body.principalType}' is not valid.`);
  }
  const principal = ctx.state.principals.get(principalId);
  if (principal === undefined) {
    return armError(
      400,
      "PrincipalNotFound",
      `Principal ${principalId.replaceAll("-", "")} does not exist in the directory. Check that you have the ` +
        "correct principal ID. If you are creating this principal and then immediately assigning a role, this " +
        "error might be related to a replication delay. In this case, set the role assignment principalType " +
        "property to a value, such as ServicePrincipal, User, or Group. See https://aka.ms/docs-principaltype",
    );
  }
  if (body.principalType !== null && principal.type !== null && body.principalType !== principal.type) {
    return armError(
      400,
      "UnmatchedPrincipalType",
      "The PrincipalType provided with role assignment request does not match principal type of the principal ID.",
    );
  }

  const key = assignmentKey(scope.scope, name);
  const same = ctx.state.assignments.get(key);
  if (same !== undefined) {
    if (same.principalId !== principalId || same.roleDefinitionGuid !== roleGuid) {
      return armError(
        400,
        "RoleAssignmentUpdateNotPermitted",
        "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
      );
    }
    if (ctx.identicalRePutConflicts) {
      return armError(409, "RoleAssignmentExists", "The role assignment already exists.");
    }
    return armJson(201, renderAssignment(same));
  }
  for (const a of ctx.state.assignments.values()) {
    if (a.principalId === principalId && a.roleDefinitionGuid === roleGuid && a.scopeKey === scope.key) {
      return armError(409, "RoleAssignmentExists", "The role assignment already exists.");
    }
  }
  const now = new Date().toISOString();
  const record: RoleAssignmentRecord = {
    name: name.toLowerCase(),
    scope: scope.scope,
    scopeKey: scope.key,
    roleDefinitionGuid: roleGuid,
    principalId,
    principalType: body.principalType ?? principal.type ?? "User",
    description: body.description,
    createdOn: now,
    updatedOn: now,
    createdBy: ctx.callerId,
  };
  ctx.state.assignments.set(key, record);
  return armJson(201, renderAssignment(record));
}

export function getAssignment(ctx: AssignmentContext, scope: OkScope, name: string): Response {
  ctx.state.calls.get++;
  if (!isGuid(name)) return invalidName(name);
  const a = ctx.state.assignments.get(assignmentKey(scope.scope, name));
  if (a === undefined) {
    return armError(404, "RoleAssignmentNotFound", `The role assignment '${name}' is not found.`);
  }
  return armJson(200, renderAssignment(a));
}

/** Real ARM: 200 with the deleted assignment, or 204 No Content when there was nothing to delete. */
export function deleteAssignment(ctx: AssignmentContext, scope: OkScope, name: string): Response {
  ctx.state.calls.delete++;
  if (!isGuid(name)) return invalidName(name);
  const key = assignmentKey(scope.scope, name);
  const a = ctx.state.assignments.get(key);
  if (a === undefined) return armNoContent();
  ctx.state.assignments.delete(key);
  return armJson(200, renderAssignment(a));
}

/**
 * Without a filter: assignments at, above and below the scope. `atScope()`: at or above only.
 * `principalId eq '…'` / `assignedTo('…')`: that principal's (groups are not expanded here).
 */
export function listAssignments(ctx: AssignmentContext, scope: OkScope, url: URL, path: string): Response {
  ctx.state.calls.list++;
  const filterParam = [...url.searchParams].find(([k]) => k.toLowerCase() === "$filter")?.[1] ?? null;
  const filter = parseAssignmentFilter(filterParam);
  if (filter === null) {
    return armError(
      400,
      "UnsupportedQuery",
      `The filter '${filterParam ?? ""}' is not supported. Supported filters are either 'atScope()' or ` +
        "'principalId eq '{value}' or assignedTo('{value}')'.",
    );
  }
  const items = [...ctx.state.assignments.values()]
    .filter(
      (a) => isAtOrAbove(a.scopeKey, scope.key) || (!filter.atScope && isAtOrAbove(scope.key, a.scopeKey)),
    )
    .filter((a) => filter.principalId === null || a.principalId === filter.principalId)
    .sort((x, y) => x.createdOn.localeCompare(y.createdOn) || x.name.localeCompare(y.name));
  const page = paginate(items, renderAssignment, { url, path, baseUrl: ctx.baseUrl, pageSize: ctx.pageSize });
  if (!page.ok) return armError(400, "InvalidSkipToken", "The skip token is not valid.");
  return armJson(200, page.body);
}
