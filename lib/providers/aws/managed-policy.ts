import type { IAMClient } from "@aws-sdk/client-iam";
import type { AwsRequest } from "../../schemas/request.ts";
import type { GrantOutcome, RevokeOutcome } from "../types.ts";
import { type AwsPrincipal, attachPolicy, detachPolicy, isPolicyAttached } from "./commands.ts";
import { unlessNoSuchEntity } from "./unless-no-such-entity.ts";

type ManagedPolicy = Extract<AwsRequest["permission"], { type: "managed_policy" }>;

/**
 * Looks before attaching: IAM's attach is idempotent and would succeed silently on access that was
 * already there, and the revoke at expiry must leave such access alone.
 */
export async function grantManagedPolicy(
  client: IAMClient,
  principal: AwsPrincipal,
  permission: ManagedPolicy,
  pageSize?: number,
): Promise<GrantOutcome> {
  if (await isPolicyAttached(client, principal, permission.policy_arn, pageSize))
    return { preExisting: true, handle: {} };
  await attachPolicy(client, principal, permission.policy_arn);
  return { preExisting: false, handle: {} };
}

/** NoSuchEntity on detach: not attached, or the principal or policy is gone — the access is gone either way. */
export async function revokeManagedPolicy(
  client: IAMClient,
  principal: AwsPrincipal,
  permission: ManagedPolicy,
): Promise<RevokeOutcome> {
  const detached = await unlessNoSuchEntity(() => detachPolicy(client, principal, permission.policy_arn));
  return { alreadyGone: !detached.found };
}
