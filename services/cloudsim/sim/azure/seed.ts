import { z } from "zod";
import { parseScope } from "./scope.ts";
import {
  type ArmState,
  assignmentKey,
  findRoleDefinition,
  type PrincipalRecord,
  type PrincipalType,
  type RoleAssignmentRecord,
  type RoleDefinitionRecord,
} from "./state.ts";

/**
 * What exists in the simulated tenant before a test or a dev session starts: principals (Entra
 * objects), custom role definitions, and role assignments made "by someone else". Seeding is not
 * an API call: it is not counted, faulted or authenticated.
 */
// GUID shape only: Azure object ids need not carry RFC 9562 version bits.
const guid = z.guid();
const principalType = z.enum(["User", "Group", "ServicePrincipal", "ForeignGroup", "Device"]);

export const principalSeedSchema = z.union([
  guid,
  z.strictObject({ id: guid, type: principalType.optional() }),
]);

export const roleDefinitionSeedSchema = z.strictObject({
  roleName: z.string().min(1).max(256),
  guid: guid.optional(),
  description: z.string().max(1024).optional(),
  /** Scopes where it may be assigned; default: the tenant root. */
  assignableScopes: z.array(z.string().min(1)).min(1).optional(),
  actions: z.array(z.string()).optional(),
});

export const roleAssignmentSeedSchema = z.strictObject({
  name: guid.optional(),
  scope: z.string().min(1),
  /** A GUID or a full role definition id. */
  roleDefinitionId: z.string().min(1),
  principalId: guid,
  principalType: principalType.optional(),
});

export const armSeedSchema = z.strictObject({
  principals: z.array(principalSeedSchema).optional(),
  roleDefinitions: z.array(roleDefinitionSeedSchema).optional(),
  roleAssignments: z.array(roleAssignmentSeedSchema).optional(),
});

export type PrincipalSeed = z.input<typeof principalSeedSchema>;
export type RoleDefinitionSeed = z.input<typeof roleDefinitionSeedSchema>;
export type RoleAssignmentSeed = z.input<typeof roleAssignmentSeedSchema>;
export type ArmSeed = z.input<typeof armSeedSchema>;

export function seedPrincipals(state: ArmState, seeds: readonly PrincipalSeed[]): PrincipalRecord[] {
  return seeds.map((raw) => {
    const s = principalSeedSchema.parse(raw);
    const record: PrincipalRecord =
      typeof s === "string"
        ? { id: s.toLowerCase(), type: null }
        : { id: s.id.toLowerCase(), type: (s.type as PrincipalType | undefined) ?? null };
    state.principals.set(record.id, record);
    return record;
  });
}

export function seedRoleDefinition(state: ArmState, raw: RoleDefinitionSeed): RoleDefinitionRecord {
  const s = roleDefinitionSeedSchema.parse(raw);
  const scopes = (s.assignableScopes ?? ["/"]).map((scope) => {
    const parsed = parseScope(scope);
    if (!parsed.ok) throw new Error(`seed role definition ${s.roleName}: ${parsed.message}`);
    return parsed.key;
  });
  const record: RoleDefinitionRecord = {
    guid: (s.guid ?? crypto.randomUUID()).toLowerCase(),
    roleName: s.roleName,
    type: "CustomRole",
    description: s.description ?? "",
    assignableScopes: scopes,
    actions: s.actions ?? ["*/read"],
    notActions: [],
    dataActions: [],
    createdOn: new Date().toISOString(),
  };
  if (findRoleDefinition(state, record.guid)?.type === "BuiltInRole") {
    throw new Error(`seed role definition ${s.roleName}: ${record.guid} is a built-in role's id`);
  }
  state.customRoles.set(record.guid, record);
  return record;
}

/** An assignment that exists without the bridge having made it (a pre-existing grant). */
export function seedRoleAssignment(state: ArmState, raw: RoleAssignmentSeed): RoleAssignmentRecord {
  const s = roleAssignmentSeedSchema.parse(raw);
  const scope = parseScope(s.scope);
  if (!scope.ok) throw new Error(`seed role assignment: ${scope.message}`);
  const roleGuid = (s.roleDefinitionId.split("/").pop() ?? "").toLowerCase();
  if (findRoleDefinition(state, roleGuid) === undefined) {
    throw new Error(`seed role assignment: unknown role definition ${s.roleDefinitionId}`);
  }
  const principalId = s.principalId.toLowerCase();
  const principal = state.principals.get(principalId);
  const now = new Date().toISOString();
  const record: RoleAssignmentRecord = {
    name: (s.name ?? crypto.randomUUID()).toLowerCase(),
    scope: scope.scope,
    scopeKey: scope.key,
    roleDefinitionGuid: roleGuid,
    principalId,
    principalType: s.principalType ?? principal?.type ?? "User",
    description: "seeded",
    createdOn: now,
    updatedOn: now,
    createdBy: null,
  };
  // The principal must exist for ARM to have accepted the assignment in the first place.
  if (principal === undefined) seedPrincipals(state, [{ id: principalId, type: s.principalType }]);
  state.assignments.set(assignmentKey(record.scope, record.name), record);
  return record;
}

export function applyArmSeed(state: ArmState, raw: ArmSeed): void {
  const seed = armSeedSchema.parse(raw);
  seedPrincipals(state, seed.principals ?? []);
  for (const r of seed.roleDefinitions ?? []) seedRoleDefinition(state, r);
  for (const a of seed.roleAssignments ?? []) seedRoleAssignment(state, a);
}
