// The small world the revocation model plays in: a handful of accesses, each reachable by several
// spellings (name case, ARN case, a role by name or by definition id, scope case), so that grants
// overlap often. The model names accesses by index; the cloud's state is read back into the same
// names here, independently of lib/'s access keys (the model must not trust the code it checks).
import type { RunningCloudsim } from "../../services/cloudsim/sim/server.ts";

export const AZ_SUB = "6f1d2b7a-0c1e-4a7b-9d3e-5c2a1b0f9e8d";
export const AZ_USER = "0b9f7c1e-6a53-4b5e-9a39-2f8d9f3c1a11";
export const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

export type Provider = "aws" | "azure";

interface AwsPolicyAccess {
  kind: "aws_policy";
  provider: "aws";
  user: string;
  policy: string;
}
interface AwsGroupAccess {
  kind: "aws_group";
  provider: "aws";
  user: string;
  group: string;
}
interface AzureRoleAccess {
  kind: "azure_role";
  provider: "azure";
  roleGuid: string;
  resourceGroup: string;
}
export type Access = AwsPolicyAccess | AwsGroupAccess | AzureRoleAccess;

/**
 * Every access the model knows; index = the model's name for it. The first REAL_ACCESSES exist in
 * the cloud. The rest are what a policy ARN in another case names: IAM (and cloudsim) resolves an
 * ARN only as written, so ".../readonlyaccess" is not ReadOnlyAccess spelled differently but a
 * policy that does not exist — its grants fail, and it is never in the cloud.
 */
export const ACCESSES: readonly Access[] = [
  { kind: "aws_policy", provider: "aws", user: "alice", policy: "ReadOnlyAccess" },
  { kind: "aws_policy", provider: "aws", user: "alice", policy: "SecurityAudit" },
  { kind: "aws_group", provider: "aws", user: "carol", group: "developers" },
  { kind: "azure_role", provider: "azure", roleGuid: READER, resourceGroup: "rg-dev" },
  { kind: "azure_role", provider: "azure", roleGuid: READER, resourceGroup: "rg-ops" },
  { kind: "aws_policy", provider: "aws", user: "alice", policy: "readonlyaccess" },
  { kind: "aws_policy", provider: "aws", user: "alice", policy: "securityaudit" },
];
export const REAL_ACCESSES = 5;

/** The access a grant of access `i` in spelling `s` really names (see grantPayload). */
export function accessOfGrant(i: number, s: number): number {
  const a = ACCESSES[i];
  if (a?.kind !== "aws_policy" || s % 4 !== 3 || i >= REAL_ACCESSES) return i;
  const other = ACCESSES.findIndex(
    (b, j) =>
      j >= REAL_ACCESSES &&
      b.kind === "aws_policy" &&
      b.user === a.user &&
      b.policy === a.policy.toLowerCase(),
  );
  return other < 0 ? i : other;
}

/** How many spellings `spell` distinguishes (an index is taken modulo this). */
export const SPELLINGS = 12;

const upperFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * The grant request for access `i` in spelling `s`. AWS: the user name's case always varies (IAM
 * names are case-insensitive); the policy ARN's case varies for one spelling in four (cloudsim,
 * like IAM, resolves an ARN only as written, so that spelling's attach fails). Azure: the role by
 * built-in name (either case) or by definition id (bare GUID in either case, or the full id), the
 * scope's case.
 */
export function grantPayload(i: number, s: number, durationS: number): Record<string, unknown> {
  const a = ACCESSES[i];
  if (a === undefined) throw new Error(`no access ${i}`);
  const duration = `PT${durationS}S`;
  const names = (n: string) => [n, upperFirst(n), n.toUpperCase()];
  switch (a.kind) {
    case "aws_policy": {
      const user = names(a.user)[s % 3] ?? a.user;
      const arn = `arn:aws:iam::aws:policy/${s % 4 === 3 ? a.policy.toLowerCase() : a.policy}`;
      return {
        provider: "aws",
        action: "grant",
        principal: { type: "user", name: user },
        permission: { type: "managed_policy", policy_arn: arn },
        duration,
      };
    }
    case "aws_group":
      return {
        provider: "aws",
        action: "grant",
        principal: { type: "user", name: names(a.user)[s % 3] ?? a.user },
        permission: { type: "group_membership", group: names(a.group)[(s >> 2) % 3] ?? a.group },
        duration,
      };
    case "azure_role": {
      const roles = [
        { name: "Reader" },
        { name: "reader" },
        { definition_id: a.roleGuid },
        { definition_id: a.roleGuid.toUpperCase() },
        {
          definition_id: `/subscriptions/${AZ_SUB}/providers/Microsoft.Authorization/roleDefinitions/${a.roleGuid}`,
        },
      ];
      const scopes = [
        `/subscriptions/${AZ_SUB}/resourceGroups/${a.resourceGroup}`,
        `/subscriptions/${AZ_SUB}/resourcegroups/${a.resourceGroup.toUpperCase()}`,
        `/SUBSCRIPTIONS/${AZ_SUB.toUpperCase()}/resourceGroups/${upperFirst(a.resourceGroup)}`,
      ];
      return {
        provider: "azure",
        action: "grant",
        principal: { id: s % 2 ? AZ_USER.toUpperCase() : AZ_USER, type: "User" },
        role: roles[s % roles.length],
        scope: scopes[Math.floor(s / roles.length) % scopes.length],
        duration,
      };
    }
  }
}

/** The principals the universe grants to: they exist in the cloud before anything starts. */
export function seedUniverse(cloud: RunningCloudsim): void {
  cloud.aws.reset();
  cloud.aws.faults.reset();
  cloud.azure.reset();
  for (const u of new Set(ACCESSES.flatMap((a) => (a.kind === "azure_role" ? [] : [a.user])))) {
    cloud.aws.seedUser(u);
  }
  for (const g of new Set(ACCESSES.flatMap((a) => (a.kind === "aws_group" ? [a.group] : [])))) {
    cloud.aws.seedGroup(g);
  }
  cloud.azure.seedPrincipals({ id: AZ_USER, type: "User" });
}

const rgOf = (scope: string): string | undefined => {
  const m = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)$/.exec(
    scope.toLowerCase().replace(/\/+$/, ""),
  );
  return m && m[1] === AZ_SUB ? m[2] : undefined;
};

/** What the cloud holds for the universe's principals, in the model's terms. */
export interface CloudView {
  /** Indexes of the accesses in place. */
  present: Set<number>;
  /** Anything held by a universe principal that is none of the universe's accesses (never expected). */
  foreign: string[];
  /** Azure: the assignment names holding each access (ours and others'). */
  azureNames: Map<number, string[]>;
}

export function readCloud(cloud: RunningCloudsim): CloudView {
  const present = new Set<number>();
  const foreign: string[] = [];
  const azureNames = new Map<number, string[]>();
  const find = (pred: (a: Access) => boolean) => ACCESSES.findIndex(pred);
  const aws = cloud.aws.snapshot();
  for (const [name, u] of Object.entries(aws.users)) {
    for (const arn of u.attachedPolicies) {
      const i = find(
        (a) =>
          a.kind === "aws_policy" &&
          a.user === name.toLowerCase() &&
          arn === `arn:aws:iam::aws:policy/${a.policy}`,
      );
      if (i >= 0) present.add(i);
      else foreign.push(`aws user ${name} policy ${arn}`);
    }
    for (const g of u.groups) {
      const i = find(
        (a) => a.kind === "aws_group" && a.user === name.toLowerCase() && a.group === g.toLowerCase(),
      );
      if (i >= 0) present.add(i);
      else foreign.push(`aws user ${name} group ${g}`);
    }
  }
  for (const ra of cloud.azure.snapshot().roleAssignments) {
    if (ra.principalId.toLowerCase() !== AZ_USER) continue;
    const guid = (ra.roleDefinitionId.split("/").pop() ?? "").toLowerCase();
    const rg = rgOf(ra.scope);
    const i = find((a) => a.kind === "azure_role" && a.roleGuid === guid && a.resourceGroup === rg);
    if (i < 0) {
      foreign.push(`azure ${ra.name} ${ra.roleDefinitionId} at ${ra.scope}`);
      continue;
    }
    present.add(i);
    azureNames.set(i, [...(azureNames.get(i) ?? []), ra.name.toLowerCase()]);
  }
  return { present, foreign, azureNames };
}

/** The cloud action a grant of access `i` writes with, and the one its revocation removes with. */
export function cloudActions(i: number): { grant: string; revoke: string; read: string } {
  const a = ACCESSES[i];
  switch (a?.kind) {
    case "aws_policy":
      return { grant: "AttachUserPolicy", revoke: "DetachUserPolicy", read: "ListAttachedUserPolicies" };
    case "aws_group":
      return { grant: "AddUserToGroup", revoke: "RemoveUserFromGroup", read: "ListGroupsForUser" };
    default:
      return {
        grant: "RoleAssignments_Create",
        revoke: "RoleAssignments_Delete",
        read: "RoleAssignments_ListForScope",
      };
  }
}

export const describeAccess = (i: number): string => {
  const a = ACCESSES[i];
  if (a === undefined) return `access#${i}`;
  if (a.kind === "aws_policy")
    return `aws ${a.user}:${a.policy}${i >= REAL_ACCESSES ? " (no such policy)" : ""}`;
  if (a.kind === "aws_group") return `aws ${a.user}∈${a.group}`;
  return `azure Reader@${a.resourceGroup}`;
};
