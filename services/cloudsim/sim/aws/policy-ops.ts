import { IamError } from "./iam-error.ts";
import { type CustomerPolicyRecord, type IamStore, key, newId } from "./iam-store.ts";
import { policySize, validatePolicyDocument } from "./policy-document.ts";
import { QUOTAS } from "./quotas.ts";

export function createPolicy(
  store: IamStore,
  args: { name: string; document: string; path?: string; description?: string; now: Date },
): CustomerPolicyRecord {
  validatePolicyDocument(args.document, "identity");
  if (policySize(args.document) > QUOTAS.managedPolicySize) {
    throw new IamError("LimitExceeded", `Cannot exceed quota for PolicySize: ${QUOTAS.managedPolicySize}`);
  }
  // Customer policy names are unique per account regardless of path and case.
  for (const p of store.policies.values()) {
    if (key(p.name) === key(args.name)) {
      throw new IamError(
        "EntityAlreadyExists",
        `A policy called ${args.name} already exists. Duplicate names are not allowed.`,
      );
    }
  }
  const path = args.path ?? "/";
  const policy: CustomerPolicyRecord = {
    name: args.name,
    id: newId("ANPA"),
    arn: `arn:aws:iam::${store.accountId}:policy${path}${args.name}`,
    path,
    description: args.description,
    document: args.document,
    createDate: args.now,
    updateDate: args.now,
  };
  store.policies.set(policy.arn, policy);
  return policy;
}
