import type { IAMClient } from "@aws-sdk/client-iam";
import type { AwsRequest } from "../../schemas/request.ts";
import type { Inspection, RevokeOutcome } from "../types.ts";
import { permanentError } from "./classify-aws-error.ts";
import { type AwsPrincipal, deleteInlinePolicy, getInlinePolicy } from "./commands.ts";
import { samePolicyDocument } from "./policy-json.ts";
import { unlessNoSuchEntity } from "./unless-no-such-entity.ts";

type InlinePolicy = Extract<AwsRequest["permission"], { type: "inline_policy" }>;

/**
 * PutXPolicy overwrites silently, so a grant looks first (GetXPolicy). Same name and same
 * document: the access is there. Same name, different document: before a grant, the name belongs
 * to someone else's access, and overwriting it would destroy access the bridge never granted (and
 * a later revoke would delete it outright) — so the grant fails permanently instead. For the drift
 * sweep the name counts as present either way: it is what a revoke would delete. Between the read
 * and the write another writer could still create the name; IAM offers no conditional put.
 */
export async function inspectInlinePolicy(
  client: IAMClient,
  principal: AwsPrincipal,
  permission: InlinePolicy,
  purpose: "grant" | "check",
): Promise<Inspection> {
  const existing = await unlessNoSuchEntity(() => getInlinePolicy(client, principal, permission.policy_name));
  if (!existing.found) return { present: false, ours: null };
  if (purpose === "grant" && !samePolicyDocument(existing.value, JSON.stringify(permission.document))) {
    throw permanentError(
      "InlinePolicyNameInUse",
      `${principal.type} ${principal.name} already has an inline policy named ${permission.policy_name} ` +
        "with a different document; refusing to overwrite access the bridge did not grant",
    );
  }
  return { present: true, ours: null };
}

/**
 * Deletes the policy by name, in one call. If its document was changed since (by hand, out of
 * band), it is still deleted: the name was created by the bridge for time-bound access, and
 * leaving an edited — possibly widened — policy in place past its expiry is the worse failure.
 * A revoke request needs no document for the same reason.
 */
export async function revokeInlinePolicy(
  client: IAMClient,
  principal: AwsPrincipal,
  policyName: string,
): Promise<RevokeOutcome> {
  const deleted = await unlessNoSuchEntity(() => deleteInlinePolicy(client, principal, policyName));
  return { alreadyGone: !deleted.found };
}
