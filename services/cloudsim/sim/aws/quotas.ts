/** IAM default quotas (IAM and AWS STS quotas page) the simulator enforces with LimitExceeded. */
export const QUOTAS = {
  /** Managed policies attached to one user, role or group. */
  policiesPerPrincipal: 10,
  groupsPerUser: 10,
  /** Aggregate inline policy size per principal, in non-whitespace characters. */
  inlineSize: { user: 2048, role: 10_240, group: 5120 },
  managedPolicySize: 6144,
} as const;

export const QUOTA_NAME = {
  user: "PoliciesPerUser",
  role: "PoliciesPerRole",
  group: "PoliciesPerGroup",
} as const;
