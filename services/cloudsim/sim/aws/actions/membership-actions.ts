import { groupXml } from "../entity-xml.ts";
import { findUser } from "../iam-store.ts";
import { addUserToGroup, removeUserFromGroup } from "../membership-ops.ts";
import { paginate } from "../paginate.ts";
import { groupsOfUser } from "../principal-ops.ts";
import { memberList } from "../xml.ts";
import type { ActionTable } from "./action.ts";

export const membershipActions: ActionTable = {
  AddUserToGroup: {
    mutating: true,
    run: ({ store, params }) => {
      addUserToGroup(store, params.required("GroupName"), params.required("UserName"));
      return null;
    },
  },
  RemoveUserFromGroup: {
    mutating: true,
    run: ({ store, params }) => {
      removeUserFromGroup(store, params.required("GroupName"), params.required("UserName"));
      return null;
    },
  },
  ListGroupsForUser: {
    mutating: false,
    run: ({ store, params }) => {
      const user = findUser(store, params.required("UserName"));
      const page = paginate(
        groupsOfUser(store, user),
        (g) => g.name.toLowerCase(),
        params.optional("Marker"),
        params.maxItems(),
      );
      return [
        ["Groups", memberList(page.items.map(groupXml))],
        ["IsTruncated", page.isTruncated],
        ["Marker", page.marker],
      ];
    },
  },
};
