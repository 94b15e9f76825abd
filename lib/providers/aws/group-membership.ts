import type { IAMClient } from "@aws-sdk/client-iam";
import type { AwsRequest } from "../../schemas/request.ts";
import type { RevokeOutcome } from "../types.ts";
import { permanentError } from "./classify-aws-error.ts";
import { type AwsPrincipal, removeUserFromGroup } from "./commands.ts";
import { unlessNoSuchEntity } from "./unless-no-such-entity.ts";

type GroupMembership = Extract<AwsRequest["permission"], { type: "group_membership" }>;

export function userName(principal: AwsPrincipal): string {
  // The request schema already refuses this; checked again because IAM would only say "not found".
  if (principal.type !== "user") {
    throw permanentError(
      "InvalidPrincipalType",
      `group_membership needs a user principal, not a ${principal.type}`,
    );
  }
  return principal.name;
}

/** NoSuchEntity on remove: not a member, or the user or group is gone — the access is gone either way. */
export async function revokeGroupMembership(
  client: IAMClient,
  principal: AwsPrincipal,
  permission: GroupMembership,
): Promise<RevokeOutcome> {
  const user = userName(principal);
  const removed = await unlessNoSuchEntity(() => removeUserFromGroup(client, user, permission.group));
  return { alreadyGone: !removed.found };
}
