import { randomBytes } from "node:crypto";
import { AWS_MANAGED_POLICIES } from "./aws-managed-policies.ts";
import { IamError } from "./iam-error.ts";

export type PrincipalKind = "user" | "role" | "group";

/** What users, roles and groups share: managed attachments and inline policies. */
interface PrincipalRecord {
  kind: PrincipalKind;
  name: string;
  id: string;
  arn: string;
  path: string;
  createDate: Date;
  /** Attached managed policy ARNs. */
  attached: Set<string>;
  /** Inline policies by lower-cased name; the document is kept exactly as submitted. */
  inline: Map<string, { name: string; document: string }>;
}

export interface UserRecord extends PrincipalRecord {
  kind: "user";
}
export interface RoleRecord extends PrincipalRecord {
  kind: "role";
  assumeRolePolicyDocument: string;
  description: string | undefined;
  maxSessionDuration: number;
}
export interface GroupRecord extends PrincipalRecord {
  kind: "group";
  /** Lower-cased member user names. */
  members: Set<string>;
}
export type AnyPrincipal = UserRecord | RoleRecord | GroupRecord;

export interface CustomerPolicyRecord {
  name: string;
  id: string;
  arn: string;
  path: string;
  description: string | undefined;
  document: string;
  createDate: Date;
  updateDate: Date;
}

/**
 * The simulated account. Names are keyed lower-cased because IAM names are not distinguished by
 * case ("ADMINS" and "admins" are the same group) while the original spelling is kept for output.
 */
export interface IamStore {
  accountId: string;
  users: Map<string, UserRecord>;
  roles: Map<string, RoleRecord>;
  groups: Map<string, GroupRecord>;
  /** Customer managed policies by ARN. */
  policies: Map<string, CustomerPolicyRecord>;
  /** Every call received per action, whatever its outcome (faulted calls included). */
  requests: Map<string, number>;
  /** Mutating calls that succeeded, per action: "was it applied once?" */
  mutations: Map<string, number>;
}

export function createStore(accountId: string): IamStore {
  return {
    accountId,
    users: new Map(),
    roles: new Map(),
    groups: new Map(),
    policies: new Map(),
    requests: new Map(),
    mutations: new Map(),
  };
}

export const key = (name: string) => name.toLowerCase();

const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/** IAM unique ids: a type prefix (AIDA user, AROA role, AGPA group, ANPA policy) and 17 characters. */
export function newId(prefix: "AIDA" | "AROA" | "AGPA" | "ANPA"): string {
  const bytes = randomBytes(17);
  let out = prefix;
  for (const b of bytes) out += ID_ALPHABET[b % ID_ALPHABET.length];
  return out;
}

const ENTITY_WORD: Record<PrincipalKind, string> = { user: "user", role: "role", group: "group" };

export function collection(store: IamStore, kind: PrincipalKind): Map<string, AnyPrincipal> {
  if (kind === "user") return store.users;
  if (kind === "role") return store.roles;
  return store.groups;
}

export function findPrincipal(store: IamStore, kind: PrincipalKind, name: string): AnyPrincipal {
  const found = collection(store, kind).get(key(name));
  if (found === undefined) {
    throw new IamError("NoSuchEntity", `The ${ENTITY_WORD[kind]} with name ${name} cannot be found.`);
  }
  return found;
}

export function findUser(store: IamStore, name: string): UserRecord {
  const found = store.users.get(key(name));
  if (found === undefined) throw new IamError("NoSuchEntity", `The user with name ${name} cannot be found.`);
  return found;
}

export function findGroup(store: IamStore, name: string): GroupRecord {
  const found = store.groups.get(key(name));
  if (found === undefined) throw new IamError("NoSuchEntity", `The group with name ${name} cannot be found.`);
  return found;
}

export function findRole(store: IamStore, name: string): RoleRecord {
  const found = store.roles.get(key(name));
  if (found === undefined) throw new IamError("NoSuchEntity", `The role with name ${name} cannot be found.`);
  return found;
}

const POLICY_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(aws|\d{12}):policy(\/[\u0021-\u007E]*)$/;

/** A managed policy that can be attached: an AWS managed one, or a customer one in this account. */
export interface AttachablePolicy {
  name: string;
  arn: string;
}

/** Rejects text that is not a policy ARN (InvalidInput), as IAM does before looking anything up. */
export function checkPolicyArn(arn: string): void {
  if (!POLICY_ARN.test(arn)) throw new IamError("InvalidInput", `ARN ${arn} is not valid.`);
}

export function findAttachablePolicy(store: IamStore, arn: string): AttachablePolicy {
  checkPolicyArn(arn);
  const managed = AWS_MANAGED_POLICIES.get(arn);
  if (managed !== undefined) return { name: managed.name, arn };
  const customer = store.policies.get(arn);
  if (customer !== undefined) return { name: customer.name, arn };
  throw new IamError("NoSuchEntity", `Policy ${arn} does not exist or is not attachable.`);
}

/** Name of an attached policy for listings; an attached ARN always resolves (deletion is not simulated). */
export function policyNameOf(store: IamStore, arn: string): string {
  return AWS_MANAGED_POLICIES.get(arn)?.name ?? store.policies.get(arn)?.name ?? arn.split("/").pop() ?? arn;
}

export function attachmentCount(store: IamStore, arn: string): number {
  let n = 0;
  for (const kind of ["user", "role", "group"] as const) {
    for (const p of collection(store, kind).values()) if (p.attached.has(arn)) n++;
  }
  return n;
}

export function bump(counter: Map<string, number>, action: string): void {
  counter.set(action, (counter.get(action) ?? 0) + 1);
}
