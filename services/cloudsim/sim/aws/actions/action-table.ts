import type { ActionTable } from "./action.ts";
import { attachmentActions } from "./attachment-actions.ts";
import { entityActions } from "./entity-actions.ts";
import { inlinePolicyActions } from "./inline-policy-actions.ts";
import { membershipActions } from "./membership-actions.ts";

/** Every action the simulator speaks; anything else is InvalidAction. */
export const IAM_ACTIONS: ActionTable = {
  ...entityActions,
  ...attachmentActions,
  ...membershipActions,
  ...inlinePolicyActions,
};
