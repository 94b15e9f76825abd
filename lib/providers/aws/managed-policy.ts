import type { IAMClient } from "@aws-sdk/client-iam";
import type { AwsRequest } from "../../schemas/request.ts";
import type { RevokeOutcome } from "../types.ts";
import { type AwsPrincipal, detachPolicy } from "./commands.ts";
import { unlessNoSuchEntity } from "./unless-no-such-entity.ts";

type ManagedPolicy = Extract<AwsRequest["permission"], { type: "managed_policy" }>;

/** NoSuchEntity on detach: not attached, or the principal or policy is gone — the access is gone either way. */
export async function revokeManagedPolicy(
  client: IAMClient,
  principal: AwsPrincipal,
  permission: ManagedPolicy,
): Promise<RevokeOutcome> {
  const detached = await unlessNoSuchEntity(() => detachPolicy(client, principal, permission.policy_arn));
  return { alreadyGone: !detached.found };
}
