import { IamError } from "./iam-error.ts";
import { findPrincipal, type IamStore, key, type PrincipalKind } from "./iam-store.ts";
import { policySize, validatePolicyDocument } from "./policy-document.ts";
import { QUOTAS } from "./quotas.ts";

/** Creates or replaces an inline policy; IAM limits the aggregate size of a principal's inline policies. */
export function putInlinePolicy(
  store: IamStore,
  kind: PrincipalKind,
  name: string,
  policyName: string,
  document: string,
): void {
  const principal = findPrincipal(store, kind, name);
  validatePolicyDocument(document, "identity");
  let total = policySize(document);
  for (const [k, p] of principal.inline) if (k !== key(policyName)) total += policySize(p.document);
  const limit = QUOTAS.inlineSize[kind];
  if (total > limit) {
    throw new IamError(
      "LimitExceeded",
      `Maximum policy size of ${limit} bytes exceeded for ${kind} ${principal.name}`,
    );
  }
  principal.inline.set(key(policyName), { name: policyName, document });
}

export function getInlinePolicy(
  store: IamStore,
  kind: PrincipalKind,
  name: string,
  policyName: string,
): { principalName: string; policyName: string; document: string } {
  const principal = findPrincipal(store, kind, name);
  const policy = principal.inline.get(key(policyName));
  if (policy === undefined) {
    throw new IamError("NoSuchEntity", `The ${kind} policy with name ${policyName} cannot be found.`);
  }
  return { principalName: principal.name, policyName: policy.name, document: policy.document };
}

/** Deleting a missing inline policy is NoSuchEntity, as in IAM. */
export function deleteInlinePolicy(
  store: IamStore,
  kind: PrincipalKind,
  name: string,
  policyName: string,
): void {
  const principal = findPrincipal(store, kind, name);
  if (!principal.inline.delete(key(policyName))) {
    throw new IamError("NoSuchEntity", `The ${kind} policy with name ${policyName} cannot be found.`);
  }
}
