import type { AuthorizationManagementClient } from "@azure/arm-authorization";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import type { CallBudget } from "../budget/call-budget.ts";
import { parseRetryAfter } from "../types.ts";

export const CALL_BUDGET_POLICY = "csecbridgeCallBudgetPolicy";

/**
 * Every ARM request takes a slot of the tenant's budget first; a 429 pauses every sharer for its
 * Retry-After. The policy goes after the Retry phase, i.e. inside the retry loop, so each attempt
 * (an SDK retry included) takes its own slot, and it sees the raw 429 before the deserializer
 * turns it into a RestError. It is on the ARM client's pipeline only: the Entra token requests go
 * through the credential's own client and are not ARM calls.
 */
export function callBudgetPolicy(budget: CallBudget): PipelinePolicy {
  return {
    name: CALL_BUDGET_POLICY,
    async sendRequest(request, next) {
      await budget.take(request.abortSignal);
      const response = await next(request);
      if (response.status === 429) {
        await budget.throttled(parseRetryAfter(response.headers.get("retry-after"), Date.now()));
      }
      return response;
    },
  };
}

export function addCallBudget(client: AuthorizationManagementClient, budget: CallBudget): void {
  client.pipeline.addPolicy(callBudgetPolicy(budget), { afterPhase: "Retry" });
}
