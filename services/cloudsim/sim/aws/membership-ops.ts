import { IamError } from "./iam-error.ts";
import { findGroup, findUser, type IamStore, key } from "./iam-store.ts";
import { groupsOfUser } from "./principal-ops.ts";
import { QUOTAS } from "./quotas.ts";

/** Adding a user to a group it is already in succeeds and changes nothing, as in IAM. */
export function addUserToGroup(store: IamStore, groupName: string, userName: string): void {
  const group = findGroup(store, groupName);
  const user = findUser(store, userName);
  if (group.members.has(key(user.name))) return;
  if (groupsOfUser(store, user).length >= QUOTAS.groupsPerUser) {
    throw new IamError("LimitExceeded", `Cannot exceed quota for GroupsPerUser: ${QUOTAS.groupsPerUser}`);
  }
  group.members.add(key(user.name));
}

/** Removing a user that is not a member is NoSuchEntity, as in IAM. */
export function removeUserFromGroup(store: IamStore, groupName: string, userName: string): void {
  const group = findGroup(store, groupName);
  const user = findUser(store, userName);
  if (!group.members.delete(key(user.name))) {
    throw new IamError("NoSuchEntity", `The user with name ${userName} is not in group ${group.name}.`);
  }
}
