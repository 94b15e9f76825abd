import { AWS_MANAGED_POLICIES } from "../aws-managed-policies.ts";
import { customerPolicyXml, groupXml, managedPolicyXml, roleXml, userXml } from "../entity-xml.ts";
import { IamError } from "../iam-error.ts";
import { attachmentCount, checkPolicyArn, findGroup, findRole, findUser } from "../iam-store.ts";
import { paginate } from "../paginate.ts";
import { createPolicy } from "../policy-ops.ts";
import { createGroup, createRole, createUser, deletePrincipal } from "../principal-ops.ts";
import { memberList } from "../xml.ts";
import type { ActionTable } from "./action.ts";

/** Create/Get/Delete of users, roles, groups and customer managed policies (test setup and lookups). */
export const entityActions: ActionTable = {
  CreateUser: {
    mutating: true,
    run: ({ store, params, now }) => {
      const user = createUser(store, {
        name: params.required("UserName"),
        path: params.optional("Path"),
        now,
      });
      return [["User", userXml(user)]];
    },
  },
  GetUser: {
    mutating: false,
    run: ({ store, params }) => {
      // Without UserName IAM describes the caller; the simulator has no caller identity to describe.
      if (params.raw("UserName") === null) {
        throw new IamError("ValidationError", "Must specify userName when calling with non-User credentials");
      }
      return [["User", userXml(findUser(store, params.required("UserName")))]];
    },
  },
  DeleteUser: {
    mutating: true,
    run: ({ store, params }) => {
      deletePrincipal(store, "user", params.required("UserName"));
      return null;
    },
  },
  CreateRole: {
    mutating: true,
    run: ({ store, params, now }) => {
      const role = createRole(store, {
        name: params.required("RoleName"),
        assumeRolePolicyDocument: params.required("AssumeRolePolicyDocument"),
        path: params.optional("Path"),
        description: params.optional("Description"),
        maxSessionDuration: params.integer("MaxSessionDuration", 3600, 43_200),
        now,
      });
      return [["Role", roleXml(role)]];
    },
  },
  GetRole: {
    mutating: false,
    run: ({ store, params }) => [["Role", roleXml(findRole(store, params.required("RoleName")))]],
  },
  DeleteRole: {
    mutating: true,
    run: ({ store, params }) => {
      deletePrincipal(store, "role", params.required("RoleName"));
      return null;
    },
  },
  CreateGroup: {
    mutating: true,
    run: ({ store, params, now }) => {
      const group = createGroup(store, {
        name: params.required("GroupName"),
        path: params.optional("Path"),
        now,
      });
      return [["Group", groupXml(group)]];
    },
  },
  GetGroup: {
    mutating: false,
    run: ({ store, params }) => {
      const group = findGroup(store, params.required("GroupName"));
      const members = [...group.members].flatMap((k) => {
        const user = store.users.get(k);
        return user === undefined ? [] : [user];
      });
      const page = paginate(
        members,
        (u) => u.name.toLowerCase(),
        params.optional("Marker"),
        params.maxItems(),
      );
      return [
        ["Group", groupXml(group)],
        ["Users", memberList(page.items.map(userXml))],
        ["IsTruncated", page.isTruncated],
        ["Marker", page.marker],
      ];
    },
  },
  DeleteGroup: {
    mutating: true,
    run: ({ store, params }) => {
      deletePrincipal(store, "group", params.required("GroupName"));
      return null;
    },
  },
  CreatePolicy: {
    mutating: true,
    run: ({ store, params, now }) => {
      const policy = createPolicy(store, {
        name: params.required("PolicyName"),
        document: params.required("PolicyDocument"),
        path: params.optional("Path"),
        description: params.optional("Description"),
        now,
      });
      return [["Policy", customerPolicyXml(policy, 0)]];
    },
  },
  GetPolicy: {
    mutating: false,
    run: ({ store, params }) => {
      const arn = params.required("PolicyArn");
      checkPolicyArn(arn);
      const count = attachmentCount(store, arn);
      const managed = AWS_MANAGED_POLICIES.get(arn);
      if (managed !== undefined) return [["Policy", managedPolicyXml(managed, count)]];
      const customer = store.policies.get(arn);
      if (customer !== undefined) return [["Policy", customerPolicyXml(customer, count)]];
      throw new IamError("NoSuchEntity", `Policy ${arn} was not found.`);
    },
  },
};
