import { attachPolicy, detachPolicy } from "../attachment-ops.ts";
import { findPrincipal, policyNameOf } from "../iam-store.ts";
import { paginate } from "../paginate.ts";
import { memberList } from "../xml.ts";
import { type ActionTable, nameParam, PRINCIPAL_KINDS } from "./action.ts";

/** `arn:aws:iam::aws:policy/job-function/ViewOnlyAccess` → `/job-function/`. */
const policyPath = (arn: string) => {
  const rest = arn.slice(arn.indexOf(":policy") + ":policy".length);
  return rest.slice(0, rest.lastIndexOf("/") + 1);
};

/** Attach/Detach/ListAttached for users, roles and groups. */
export const attachmentActions: ActionTable = Object.fromEntries(
  PRINCIPAL_KINDS.flatMap(({ kind, word }) => {
    const param = nameParam(word);
    return [
      [
        `Attach${word}Policy`,
        {
          mutating: true,
          run: ({ store, params }) => {
            attachPolicy(store, kind, params.required(param), params.required("PolicyArn"));
            return null;
          },
        },
      ],
      [
        `Detach${word}Policy`,
        {
          mutating: true,
          run: ({ store, params }) => {
            detachPolicy(store, kind, params.required(param), params.required("PolicyArn"));
            return null;
          },
        },
      ],
      [
        `ListAttached${word}Policies`,
        {
          mutating: false,
          run: ({ store, params }) => {
            const principal = findPrincipal(store, kind, params.required(param));
            const prefix = params.optional("PathPrefix") ?? "/";
            const arns = [...principal.attached].filter((arn) => policyPath(arn).startsWith(prefix));
            const page = paginate(arns, (arn) => arn, params.optional("Marker"), params.maxItems());
            return [
              [
                "AttachedPolicies",
                memberList(
                  page.items.map((arn) => [
                    ["PolicyName", policyNameOf(store, arn)],
                    ["PolicyArn", arn],
                  ]),
                ),
              ],
              ["IsTruncated", page.isTruncated],
              ["Marker", page.marker],
            ];
          },
        },
      ],
    ] as const;
  }),
);
