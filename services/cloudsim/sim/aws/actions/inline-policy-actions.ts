import { encodeDocument } from "../entity-xml.ts";
import { findPrincipal } from "../iam-store.ts";
import { deleteInlinePolicy, getInlinePolicy, putInlinePolicy } from "../inline-policy-ops.ts";
import { paginate } from "../paginate.ts";
import { memberStrings } from "../xml.ts";
import { type ActionTable, nameParam, PRINCIPAL_KINDS } from "./action.ts";

/** Put/Get/Delete/List of inline policies for users, roles and groups. */
export const inlinePolicyActions: ActionTable = Object.fromEntries(
  PRINCIPAL_KINDS.flatMap(({ kind, word }) => {
    const param = nameParam(word);
    return [
      [
        `Put${word}Policy`,
        {
          mutating: true,
          run: ({ store, params }) => {
            putInlinePolicy(
              store,
              kind,
              params.required(param),
              params.required("PolicyName"),
              params.required("PolicyDocument"),
            );
            return null;
          },
        },
      ],
      [
        `Get${word}Policy`,
        {
          mutating: false,
          run: ({ store, params }) => {
            const found = getInlinePolicy(store, kind, params.required(param), params.required("PolicyName"));
            return [
              [param, found.principalName],
              ["PolicyName", found.policyName],
              ["PolicyDocument", encodeDocument(found.document)],
            ];
          },
        },
      ],
      [
        `Delete${word}Policy`,
        {
          mutating: true,
          run: ({ store, params }) => {
            deleteInlinePolicy(store, kind, params.required(param), params.required("PolicyName"));
            return null;
          },
        },
      ],
      [
        `List${word}Policies`,
        {
          mutating: false,
          run: ({ store, params }) => {
            const principal = findPrincipal(store, kind, params.required(param));
            const names = [...principal.inline.values()].map((p) => p.name);
            const page = paginate(
              names,
              (n) => n.toLowerCase(),
              params.optional("Marker"),
              params.maxItems(),
            );
            return [
              ["PolicyNames", memberStrings(page.items)],
              ["IsTruncated", page.isTruncated],
              ["Marker", page.marker],
            ];
          },
        },
      ],
    ] as const;
  }),
);
