import type { IAMClient, ServiceInputTypes, ServiceOutputTypes } from "@aws-sdk/client-iam";
import type { FinalizeRequestMiddleware } from "@smithy/types";
import type { CallBudget } from "../budget/call-budget.ts";
import { awsThrottle } from "./classify-aws-error.ts";

export const CALL_BUDGET_MIDDLEWARE = "csecbridgeCallBudgetMiddleware";

/**
 * Every HTTP request the client sends takes a slot of the account's budget first, and a throttle
 * IAM answers pauses every sharer of the account.
 *
 * Where in the stack: step `finalizeRequest`, right after `retryMiddleware` and before
 * `httpSigningMiddleware`. The `build` step runs once per command, outside the SDK's retry loop,
 * so the SDK's own retries (of Throttling above all) would go out without a slot: exactly the
 * calls that must not. Inside the loop each attempt takes its own slot. Before signing, so a
 * request that waited is signed when it leaves (SigV4 carries the signing time), and a slot is
 * spent only on a request that is about to be sent.
 */
export function addCallBudget(client: IAMClient, budget: CallBudget): void {
  const middleware: FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes> =
    (next) => async (args) => {
      await budget.take();
      try {
        return await next(args);
      } catch (err) {
        const throttle = awsThrottle(err);
        if (throttle !== null) await budget.throttled(throttle.retryAfterMs);
        throw err;
      }
    };
  client.middlewareStack.addRelativeTo(middleware, {
    name: CALL_BUDGET_MIDDLEWARE,
    relation: "before",
    toMiddleware: "httpSigningMiddleware",
    override: true,
  });
}
