import { type AnyPrincipal, attachmentCount, type IamStore } from "./iam-store.ts";
import { groupsOfUser } from "./principal-ops.ts";

/** Plain JSON view of the simulated account, for assertions and the cloudsim's inspection endpoint. */
export interface IamState {
  accountId: string;
  users: Record<string, PrincipalState & { groups: string[] }>;
  roles: Record<string, PrincipalState & { assumeRolePolicyDocument: unknown }>;
  groups: Record<string, PrincipalState & { members: string[] }>;
  /** Customer managed policies by ARN. */
  policies: Record<string, { name: string; path: string; attachmentCount: number; document: unknown }>;
  /** Every call received per action, whatever its outcome. */
  requests: Record<string, number>;
  /** Successful mutating calls per action. */
  mutations: Record<string, number>;
}

export interface PrincipalState {
  arn: string;
  id: string;
  path: string;
  /** Attached managed policy ARNs, sorted. */
  attachedPolicies: string[];
  /** Inline policies by name, documents parsed (they were validated as JSON on write). */
  inlinePolicies: Record<string, unknown>;
}

const sorted = (values: Iterable<string>) => [...values].sort();

function principalState(p: AnyPrincipal): PrincipalState {
  return {
    arn: p.arn,
    id: p.id,
    path: p.path,
    attachedPolicies: sorted(p.attached),
    inlinePolicies: Object.fromEntries([...p.inline.values()].map((i) => [i.name, JSON.parse(i.document)])),
  };
}

export function snapshotOf(store: IamStore): IamState {
  return {
    accountId: store.accountId,
    users: Object.fromEntries(
      [...store.users.values()].map((u) => [
        u.name,
        { ...principalState(u), groups: sorted(groupsOfUser(store, u).map((g) => g.name)) },
      ]),
    ),
    roles: Object.fromEntries(
      [...store.roles.values()].map((r) => [
        r.name,
        { ...principalState(r), assumeRolePolicyDocument: JSON.parse(r.assumeRolePolicyDocument) },
      ]),
    ),
    groups: Object.fromEntries(
      [...store.groups.values()].map((g) => [
        g.name,
        {
          ...principalState(g),
          members: sorted([...g.members].map((k) => store.users.get(k)?.name ?? k)),
        },
      ]),
    ),
    policies: Object.fromEntries(
      [...store.policies.values()].map((p) => [
        p.arn,
        {
          name: p.name,
          path: p.path,
          attachmentCount: attachmentCount(store, p.arn),
          document: JSON.parse(p.document),
        },
      ]),
    ),
    requests: Object.fromEntries(store.requests),
    mutations: Object.fromEntries(store.mutations),
  };
}
