import type { IAMClient } from "@aws-sdk/client-iam";
import type { Logger } from "../../logging/logger.ts";
import type { AwsRequest } from "../../schemas/request.ts";
import type { GrantOutcome, RevokeOutcome } from "../types.ts";
import { permanentError } from "./classify-aws-error.ts";
import { type AwsPrincipal, deleteInlinePolicy, getInlinePolicy, putInlinePolicy } from "./commands.ts";
import { samePolicyDocument } from "./policy-json.ts";
import { unlessNoSuchEntity } from "./unless-no-such-entity.ts";

type InlinePolicy = Extract<AwsRequest["permission"], { type: "inline_policy" }>;

/**
 * PutXPolicy overwrites silently, so the grant reads first. Same name and same document: the access
 * pre-existed. Same name, different document: the name belongs to someone else's access, and
 * overwriting it would destroy access the bridge never granted (and a later revoke would delete it
 * outright) — so the grant fails permanently instead. Between the read and the write another writer
 * could still create the name; IAM offers no conditional put to close that window.
 */
export async function grantInlinePolicy(
  client: IAMClient,
  principal: AwsPrincipal,
  permission: InlinePolicy,
): Promise<GrantOutcome> {
  const desired = JSON.stringify(permission.document);
  const existing = await unlessNoSuchEntity(() => getInlinePolicy(client, principal, permission.policy_name));
  if (existing.found) {
    if (samePolicyDocument(existing.value, desired)) return { preExisting: true, handle: {} };
    throw permanentError(
      "InlinePolicyNameInUse",
      `${principal.type} ${principal.name} already has an inline policy named ${permission.policy_name} ` +
        "with a different document; refusing to overwrite access the bridge did not grant",
    );
  }
  // NoSuchEntity above may also mean the principal does not exist; the put then fails with it.
  await putInlinePolicy(client, principal, permission.policy_name, desired);
  return { preExisting: false, handle: {} };
}

/**
 * Deletes the policy the grant created. If its document was changed since (by hand, out of band),
 * it is still deleted: the name was created by the bridge for time-bound access, and leaving an
 * edited — possibly widened — policy in place past its expiry is the worse failure. It is logged.
 */
export async function revokeInlinePolicy(
  client: IAMClient,
  principal: AwsPrincipal,
  permission: InlinePolicy,
  log: Logger | undefined,
): Promise<RevokeOutcome> {
  const existing = await unlessNoSuchEntity(() => getInlinePolicy(client, principal, permission.policy_name));
  if (!existing.found) return { alreadyGone: true };
  if (!samePolicyDocument(existing.value, JSON.stringify(permission.document))) {
    log?.warn(
      {
        access: {
          principal_type: principal.type,
          principal: principal.name,
          policy_name: permission.policy_name,
        },
      },
      "inline policy changed since it was granted; deleting it anyway",
    );
  }
  const deleted = await unlessNoSuchEntity(() =>
    deleteInlinePolicy(client, principal, permission.policy_name),
  );
  return { alreadyGone: !deleted.found };
}
