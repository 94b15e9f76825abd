import { IamError } from "./iam-error.ts";
import {
  collection,
  findPrincipal,
  type GroupRecord,
  type IamStore,
  key,
  newId,
  type PrincipalKind,
  type RoleRecord,
  type UserRecord,
} from "./iam-store.ts";
import { validatePolicyDocument } from "./policy-document.ts";

const EXISTS_WORD: Record<PrincipalKind, string> = { user: "User", role: "Role", group: "Group" };

function ensureFree(store: IamStore, kind: PrincipalKind, name: string): void {
  if (collection(store, kind).has(key(name))) {
    throw new IamError("EntityAlreadyExists", `${EXISTS_WORD[kind]} with name ${name} already exists.`);
  }
}

const arnOf = (store: IamStore, kind: PrincipalKind, path: string, name: string) =>
  `arn:aws:iam::${store.accountId}:${kind}${path}${name}`;

export function createUser(store: IamStore, args: { name: string; path?: string; now: Date }): UserRecord {
  ensureFree(store, "user", args.name);
  const path = args.path ?? "/";
  const user: UserRecord = {
    kind: "user",
    name: args.name,
    id: newId("AIDA"),
    arn: arnOf(store, "user", path, args.name),
    path,
    createDate: args.now,
    attached: new Set(),
    inline: new Map(),
  };
  store.users.set(key(args.name), user);
  return user;
}

export function createRole(
  store: IamStore,
  args: {
    name: string;
    assumeRolePolicyDocument: string;
    path?: string;
    description?: string;
    maxSessionDuration?: number;
    now: Date;
  },
): RoleRecord {
  validatePolicyDocument(args.assumeRolePolicyDocument, "trust");
  ensureFree(store, "role", args.name);
  const path = args.path ?? "/";
  const role: RoleRecord = {
    kind: "role",
    name: args.name,
    id: newId("AROA"),
    arn: arnOf(store, "role", path, args.name),
    path,
    createDate: args.now,
    attached: new Set(),
    inline: new Map(),
    assumeRolePolicyDocument: args.assumeRolePolicyDocument,
    description: args.description,
    maxSessionDuration: args.maxSessionDuration ?? 3600,
  };
  store.roles.set(key(args.name), role);
  return role;
}

export function createGroup(store: IamStore, args: { name: string; path?: string; now: Date }): GroupRecord {
  ensureFree(store, "group", args.name);
  const path = args.path ?? "/";
  const group: GroupRecord = {
    kind: "group",
    name: args.name,
    id: newId("AGPA"),
    arn: arnOf(store, "group", path, args.name),
    path,
    createDate: args.now,
    attached: new Set(),
    inline: new Map(),
    members: new Set(),
  };
  store.groups.set(key(args.name), group);
  return group;
}

/** IAM refuses to delete a principal that still has policies or memberships (DeleteConflict). */
export function deletePrincipal(store: IamStore, kind: PrincipalKind, name: string): void {
  const principal = findPrincipal(store, kind, name);
  const conflict = (what: string) =>
    new IamError("DeleteConflict", `Cannot delete entity, must ${what} first.`);
  if (principal.attached.size > 0) throw conflict("detach all policies");
  if (principal.inline.size > 0) throw conflict("delete policies");
  if (principal.kind === "group" && principal.members.size > 0) throw conflict("remove users from group");
  if (principal.kind === "user") {
    for (const group of store.groups.values()) {
      if (group.members.has(key(principal.name))) throw conflict("remove user from all groups");
    }
  }
  collection(store, kind).delete(key(name));
}

/** Groups a user belongs to, for ListGroupsForUser and snapshots. */
export function groupsOfUser(store: IamStore, user: UserRecord): GroupRecord[] {
  return [...store.groups.values()].filter((g) => g.members.has(key(user.name)));
}
