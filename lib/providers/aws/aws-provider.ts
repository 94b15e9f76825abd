import type { IAMClient } from "@aws-sdk/client-iam";
import type { Logger } from "../../logging/logger.ts";
import type { AwsRequest, RequestPayload } from "../../schemas/request.ts";
import type { GrantOutcome, ProviderCallContext, ProviderClient, RevokeOutcome } from "../types.ts";
import { classifyAwsError, permanentError } from "./classify-aws-error.ts";
import { getInlinePolicy, isPolicyAttached, isUserInGroup } from "./commands.ts";
import { grantGroupMembership, revokeGroupMembership } from "./group-membership.ts";
import { grantInlinePolicy, revokeInlinePolicy } from "./inline-policy.ts";
import { grantManagedPolicy, revokeManagedPolicy } from "./managed-policy.ts";
import { samePolicyDocument } from "./policy-json.ts";
import { unlessNoSuchEntity } from "./unless-no-such-entity.ts";

export interface AwsProviderDeps {
  /** Built with createIamClient (bounded timeout, few SDK retries). */
  client: IAMClient;
  logger?: Logger;
  /** MaxItems for the pre-existing-access listings; tests make it small to exercise the Marker loop. */
  listPageSize?: number;
}

function awsPayload(payload: RequestPayload): AwsRequest {
  if (payload.provider !== "aws") {
    throw permanentError(
      "UnsupportedProvider",
      `the AWS provider cannot carry out a ${payload.provider} request`,
    );
  }
  return payload;
}

function applyGrant(deps: AwsProviderDeps, { principal, permission }: AwsRequest): Promise<GrantOutcome> {
  switch (permission.type) {
    case "managed_policy":
      return grantManagedPolicy(deps.client, principal, permission, deps.listPageSize);
    case "group_membership":
      return grantGroupMembership(deps.client, principal, permission, deps.listPageSize);
    case "inline_policy":
      return grantInlinePolicy(deps.client, principal, permission);
  }
}

/** The same look-ups the grants make before applying, on their own. */
async function accessPresent(
  deps: AwsProviderDeps,
  principal: AwsRequest["principal"],
  permission: AwsRequest["permission"],
): Promise<boolean> {
  switch (permission.type) {
    case "managed_policy":
      return await isPolicyAttached(deps.client, principal, permission.policy_arn, deps.listPageSize);
    case "group_membership":
      return principal.type === "user"
        ? await isUserInGroup(deps.client, principal.name, permission.group, deps.listPageSize)
        : false;
    case "inline_policy": {
      const existing = await unlessNoSuchEntity(() =>
        getInlinePolicy(deps.client, principal, permission.policy_name),
      );
      return existing.found && samePolicyDocument(existing.value, JSON.stringify(permission.document));
    }
  }
}

/**
 * AWS IAM behind the ProviderClient contract. Every failure leaves as a ProviderError classified in
 * classify-aws-error.ts, so the worker decides retry or fail from `retryable` alone.
 */
export function createAwsProvider(deps: AwsProviderDeps): ProviderClient {
  const { client } = deps;
  const logFor = (ctx: ProviderCallContext) =>
    deps.logger?.child({ correlation_id: ctx.correlationId, provider: "aws" });

  return {
    provider: "aws",

    async hasAccess(payload: RequestPayload): Promise<boolean> {
      const { principal, permission } = awsPayload(payload);
      try {
        return await accessPresent(deps, principal, permission);
      } catch (err) {
        throw classifyAwsError(err);
      }
    },

    async grant(payload: RequestPayload, ctx: ProviderCallContext): Promise<GrantOutcome> {
      const request = awsPayload(payload);
      let outcome: GrantOutcome;
      try {
        outcome = await applyGrant(deps, request);
      } catch (err) {
        throw classifyAwsError(err);
      }
      if (outcome.preExisting) {
        logFor(ctx)?.info(
          { permission_type: request.permission.type },
          "access already present before the grant",
        );
      }
      return outcome;
    },

    async revoke(payload: RequestPayload, ctx: ProviderCallContext): Promise<RevokeOutcome> {
      const { principal, permission } = awsPayload(payload);
      try {
        switch (permission.type) {
          case "managed_policy":
            return await revokeManagedPolicy(client, principal, permission);
          case "group_membership":
            return await revokeGroupMembership(client, principal, permission);
          case "inline_policy":
            return await revokeInlinePolicy(client, principal, permission, logFor(ctx));
        }
      } catch (err) {
        throw classifyAwsError(err);
      }
    },
  };
}
