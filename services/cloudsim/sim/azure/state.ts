import { BUILTIN_ROLES } from "./builtin-role-definitions.ts";
import { scopeKey } from "./scope.ts";

/** The object types Entra reports for a principal (and that a role assignment may name). */
export type PrincipalType = "User" | "Group" | "ServicePrincipal" | "ForeignGroup" | "Device";

export interface PrincipalRecord {
  id: string;
  /** null: exists, type not modelled; any principalType in a request is then accepted. */
  type: PrincipalType | null;
}

export interface RoleDefinitionRecord {
  guid: string;
  roleName: string;
  type: "BuiltInRole" | "CustomRole";
  description: string;
  /** Scope keys (lower case) where the role may be assigned; built-ins: the tenant root. */
  assignableScopes: string[];
  actions: string[];
  notActions: string[];
  dataActions: string[];
  createdOn: string;
}

export interface RoleAssignmentRecord {
  name: string;
  /** As the creator spelled it (one leading slash, no trailing slash). */
  scope: string;
  scopeKey: string;
  roleDefinitionGuid: string;
  principalId: string;
  principalType: string;
  description: string | null;
  createdOn: string;
  updatedOn: string;
  createdBy: string | null;
}

export interface IssuedToken {
  clientId: string;
  audience: string;
  expiresAt: number;
}

/** Counts of role-assignment calls that reached the handler (after auth and faults). */
export interface CallCounts {
  create: number;
  delete: number;
  get: number;
  list: number;
  roleDefinitionReads: number;
  tokens: number;
}

export interface ArmState {
  principals: Map<string, PrincipalRecord>;
  customRoles: Map<string, RoleDefinitionRecord>;
  /** Keyed by `${scopeKey}|${name}` (names are unique per scope). */
  assignments: Map<string, RoleAssignmentRecord>;
  /** Survive reset(): a client's cached token stays valid, as it would against Azure. */
  tokens: Map<string, IssuedToken>;
  calls: CallCounts;
}

const zeroCalls = (): CallCounts => ({
  create: 0,
  delete: 0,
  get: 0,
  list: 0,
  roleDefinitionReads: 0,
  tokens: 0,
});

export function createArmState(): ArmState {
  return {
    principals: new Map(),
    customRoles: new Map(),
    assignments: new Map(),
    tokens: new Map(),
    calls: zeroCalls(),
  };
}

export function resetArmState(state: ArmState): void {
  state.principals.clear();
  state.customRoles.clear();
  state.assignments.clear();
  state.calls = zeroCalls();
}

export const assignmentKey = (scope: string, name: string): string =>
  `${scopeKey(scope)}|${name.toLowerCase()}`;

const BUILTIN_RECORDS: readonly RoleDefinitionRecord[] = BUILTIN_ROLES.map((r) => ({
  ...r,
  type: "BuiltInRole",
  assignableScopes: ["/"],
  createdOn: "2015-02-02T21:55:09.8806423Z",
}));

export function allRoleDefinitions(state: ArmState): RoleDefinitionRecord[] {
  return [...BUILTIN_RECORDS, ...state.customRoles.values()];
}

export function findRoleDefinition(state: ArmState, guid: string): RoleDefinitionRecord | undefined {
  const g = guid.toLowerCase();
  return BUILTIN_RECORDS.find((r) => r.guid === g) ?? state.customRoles.get(g);
}

/** `/subscriptions/{sub}/providers/...` under a subscription, the tenant form elsewhere, as ARM answers. */
export function roleDefinitionId(guid: string, subscriptionId: string | null): string {
  const tail = `/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
  return subscriptionId === null ? tail : `/subscriptions/${subscriptionId}${tail}`;
}

export function roleAssignmentId(a: RoleAssignmentRecord): string {
  const prefix = a.scope === "/" ? "" : a.scope;
  return `${prefix}/providers/Microsoft.Authorization/roleAssignments/${a.name}`;
}

const subscriptionOf = (scope: string): string | null =>
  /^\/subscriptions\/([0-9a-f-]{36})(?:\/|$)/i.exec(scope)?.[1]?.toLowerCase() ?? null;

/** The wire shape of a role assignment (api-version 2022-04-01). */
export function renderAssignment(a: RoleAssignmentRecord): Record<string, unknown> {
  return {
    properties: {
      roleDefinitionId: roleDefinitionId(a.roleDefinitionGuid, subscriptionOf(a.scope)),
      principalId: a.principalId,
      principalType: a.principalType,
      scope: a.scope,
      condition: null,
      conditionVersion: null,
      createdOn: a.createdOn,
      updatedOn: a.updatedOn,
      createdBy: a.createdBy,
      updatedBy: a.createdBy,
      delegatedManagedIdentityResourceId: null,
      description: a.description,
    },
    id: roleAssignmentId(a),
    type: "Microsoft.Authorization/roleAssignments",
    name: a.name,
  };
}

/** The wire shape of a role definition, its id in the form the asking scope implies. */
export function renderRoleDefinition(
  r: RoleDefinitionRecord,
  subscriptionId: string | null,
): Record<string, unknown> {
  return {
    id: roleDefinitionId(r.guid, subscriptionId),
    type: "Microsoft.Authorization/roleDefinitions",
    name: r.guid,
    properties: {
      roleName: r.roleName,
      type: r.type,
      description: r.description,
      assignableScopes: r.assignableScopes,
      permissions: [
        { actions: r.actions, notActions: r.notActions, dataActions: r.dataActions, notDataActions: [] },
      ],
      createdOn: r.createdOn,
      updatedOn: r.createdOn,
      createdBy: null,
      updatedBy: null,
    },
  };
}
