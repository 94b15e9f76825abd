import type { IAMClient } from "@aws-sdk/client-iam";
import type { AwsRequest, RequestPayload } from "../../schemas/request.ts";
import { awsAccessKey } from "../access-key.ts";
import { createSharedReads, type SharedRead } from "../shared-reads.ts";
import type {
  CanonicalAccess,
  GrantOutcome,
  Inspection,
  ProviderCallContext,
  ProviderClient,
  RevokeOutcome,
} from "../types.ts";
import { classifyAwsError, permanentError } from "./classify-aws-error.ts";
import { addUserToGroup, attachedPolicies, attachPolicy, groupsOfUser, putInlinePolicy } from "./commands.ts";
import { revokeGroupMembership, userName } from "./group-membership.ts";
import { inspectInlinePolicy, revokeInlinePolicy } from "./inline-policy.ts";
import { revokeManagedPolicy } from "./managed-policy.ts";

export interface AwsProviderDeps {
  /** Built with createIamClient (bounded timeout, few SDK retries). */
  client: IAMClient;
  /** MaxItems for the listings; tests make it small to exercise the Marker loop. */
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

type Lists = SharedRead<string[]>;

/**
 * One read: the principal's whole list (attached policies, or groups), shared by the grants of
 * that principal in flight at the same time, so N grants for one user cost one listing, not N;
 * the inspection says how old the shared answer may be (its readTag).
 */
async function present(
  deps: AwsProviderDeps,
  lists: Lists,
  { principal, permission }: AwsRequest,
  ctx: ProviderCallContext,
  purpose: "grant" | "check",
): Promise<Inspection> {
  const yes = (v: boolean, tag: number | undefined): Inspection => ({
    present: v,
    ours: null,
    ...(tag === undefined ? {} : { readTag: tag }),
  });
  const who = `${principal.type}/${principal.name.toLowerCase()}`;
  switch (permission.type) {
    case "managed_policy": {
      const arns = await lists(`policies:${who}`, ctx.readTag, () =>
        attachedPolicies(deps.client, principal, deps.listPageSize),
      );
      return yes(arns.value.includes(permission.policy_arn), arns.tag);
    }
    case "group_membership": {
      const user = userName(principal);
      const groups = await lists(`groups:${who}`, ctx.readTag, () =>
        groupsOfUser(deps.client, user, deps.listPageSize),
      );
      // IAM names are not distinguished by case: "Auditors" and "auditors" are the same group.
      const wanted = permission.group.toLowerCase();
      return yes(
        groups.value.some((g) => g.toLowerCase() === wanted),
        groups.tag,
      );
    }
    case "inline_policy":
      return await inspectInlinePolicy(deps.client, principal, permission, purpose);
  }
}

/** The write of a grant, without a look first: IAM's attach, add and put are all idempotent. */
async function apply(client: IAMClient, { principal, permission }: AwsRequest): Promise<void> {
  switch (permission.type) {
    case "managed_policy":
      return await attachPolicy(client, principal, permission.policy_arn);
    case "group_membership":
      return await addUserToGroup(client, userName(principal), permission.group);
    case "inline_policy":
      // The schema requires the document of a grant (only a revoke may leave it out).
      if (permission.document === undefined) {
        throw permanentError("MalformedPolicyDocument", "an inline policy grant needs its document");
      }
      return await putInlinePolicy(
        client,
        principal,
        permission.policy_name,
        JSON.stringify(permission.document),
      );
  }
}

/**
 * AWS IAM behind the ProviderClient contract. Every failure leaves as a ProviderError classified in
 * classify-aws-error.ts, so the worker decides retry or fail from `retryable` alone. IAM records no
 * author for an attachment, so an inspection cannot say whose access it is (`ours: null`).
 */
export function createAwsProvider(deps: AwsProviderDeps): ProviderClient {
  const { client } = deps;
  const lists: Lists = createSharedReads<string[]>();
  const classified = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      throw classifyAwsError(err);
    }
  };

  return {
    provider: "aws",
    attributable: false,

    async canonical(payload: RequestPayload): Promise<CanonicalAccess> {
      return { accessKey: awsAccessKey(awsPayload(payload)), resolved: {} };
    },

    inspect(payload, ctx, purpose): Promise<Inspection> {
      return classified(() => present(deps, lists, awsPayload(payload), ctx, purpose));
    },

    async grant(payload: RequestPayload): Promise<GrantOutcome> {
      const request = awsPayload(payload);
      await classified(() => apply(client, request));
      return { handle: {} };
    },

    revoke(payload: RequestPayload): Promise<RevokeOutcome> {
      const { principal, permission } = awsPayload(payload);
      return classified(() => {
        switch (permission.type) {
          case "managed_policy":
            return revokeManagedPolicy(client, principal, permission);
          case "group_membership":
            return revokeGroupMembership(client, principal, permission);
          case "inline_policy":
            return revokeInlinePolicy(client, principal, permission.policy_name);
        }
      });
    },
  };
}
