import { IamError } from "./iam-error.ts";
import {
  checkPolicyArn,
  findAttachablePolicy,
  findPrincipal,
  type IamStore,
  type PrincipalKind,
} from "./iam-store.ts";
import { QUOTA_NAME, QUOTAS } from "./quotas.ts";

/** Attaching an already attached policy succeeds and changes nothing, as in IAM. */
export function attachPolicy(store: IamStore, kind: PrincipalKind, name: string, policyArn: string): void {
  const principal = findPrincipal(store, kind, name);
  const policy = findAttachablePolicy(store, policyArn);
  if (principal.attached.has(policy.arn)) return;
  if (principal.attached.size >= QUOTAS.policiesPerPrincipal) {
    throw new IamError(
      "LimitExceeded",
      `Cannot exceed quota for ${QUOTA_NAME[kind]}: ${QUOTAS.policiesPerPrincipal}`,
    );
  }
  principal.attached.add(policy.arn);
}

/** Detaching a policy that is not attached is NoSuchEntity, as in IAM. */
export function detachPolicy(store: IamStore, kind: PrincipalKind, name: string, policyArn: string): void {
  const principal = findPrincipal(store, kind, name);
  checkPolicyArn(policyArn);
  if (!principal.attached.delete(policyArn)) {
    throw new IamError("NoSuchEntity", `Policy ${policyArn} was not found.`);
  }
}
