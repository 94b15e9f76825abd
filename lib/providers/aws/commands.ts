import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  DeleteGroupPolicyCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetGroupPolicyCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  type IAMClient,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
  PutGroupPolicyCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  RemoveUserFromGroupCommand,
} from "@aws-sdk/client-iam";
import type { AwsRequest } from "../../schemas/request.ts";

/**
 * Thin, typed wrappers: one IAM call per function, chosen by principal type. They throw the SDK's
 * errors unchanged; the adapter classifies them once.
 */
export type AwsPrincipal = AwsRequest["principal"];

/** Large pages: IAM's quotas keep these lists short, so one call usually answers. */
export const DEFAULT_PAGE_SIZE = 1000;
/** A server that keeps returning markers must not keep a worker looping. */
const MAX_PAGES = 100;

export async function attachPolicy(client: IAMClient, p: AwsPrincipal, policyArn: string): Promise<void> {
  switch (p.type) {
    case "user":
      await client.send(new AttachUserPolicyCommand({ UserName: p.name, PolicyArn: policyArn }));
      return;
    case "role":
      await client.send(new AttachRolePolicyCommand({ RoleName: p.name, PolicyArn: policyArn }));
      return;
    case "group":
      await client.send(new AttachGroupPolicyCommand({ GroupName: p.name, PolicyArn: policyArn }));
      return;
  }
}

export async function detachPolicy(client: IAMClient, p: AwsPrincipal, policyArn: string): Promise<void> {
  switch (p.type) {
    case "user":
      await client.send(new DetachUserPolicyCommand({ UserName: p.name, PolicyArn: policyArn }));
      return;
    case "role":
      await client.send(new DetachRolePolicyCommand({ RoleName: p.name, PolicyArn: policyArn }));
      return;
    case "group":
      await client.send(new DetachGroupPolicyCommand({ GroupName: p.name, PolicyArn: policyArn }));
      return;
  }
}

interface ListPage {
  items: string[];
  next: string | undefined;
}

async function listAttachedPage(
  client: IAMClient,
  p: AwsPrincipal,
  marker: string | undefined,
  pageSize: number,
): Promise<ListPage> {
  const input = { Marker: marker, MaxItems: pageSize };
  const out =
    p.type === "user"
      ? await client.send(new ListAttachedUserPoliciesCommand({ ...input, UserName: p.name }))
      : p.type === "role"
        ? await client.send(new ListAttachedRolePoliciesCommand({ ...input, RoleName: p.name }))
        : await client.send(new ListAttachedGroupPoliciesCommand({ ...input, GroupName: p.name }));
  return {
    items: (out.AttachedPolicies ?? []).flatMap((a) => (a.PolicyArn === undefined ? [] : [a.PolicyArn])),
    next: out.IsTruncated ? out.Marker : undefined,
  };
}

/** Walks every Marker page: the whole list, so one answer serves every grant asking about it. */
async function allPages(fetchPage: (marker: string | undefined) => Promise<ListPage>): Promise<string[]> {
  const items: string[] = [];
  let marker: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await fetchPage(marker);
    items.push(...out.items);
    if (out.next === undefined || out.next === marker) return items;
    marker = out.next;
  }
  throw new Error(`IAM listing did not end after ${MAX_PAGES} pages`);
}

/** Every managed policy attached to the principal (ListAttached{User,Role,Group}Policies). */
export function attachedPolicies(
  client: IAMClient,
  p: AwsPrincipal,
  pageSize = DEFAULT_PAGE_SIZE,
): Promise<string[]> {
  return allPages((marker) => listAttachedPage(client, p, marker, pageSize));
}

/** Every group the user is in (ListGroupsForUser). */
export function groupsOfUser(
  client: IAMClient,
  userName: string,
  pageSize = DEFAULT_PAGE_SIZE,
): Promise<string[]> {
  return allPages(async (marker) => {
    const out = await client.send(
      new ListGroupsForUserCommand({ UserName: userName, Marker: marker, MaxItems: pageSize }),
    );
    return {
      items: (out.Groups ?? []).flatMap((g) => (g.GroupName === undefined ? [] : [g.GroupName])),
      next: out.IsTruncated ? out.Marker : undefined,
    };
  });
}

export async function addUserToGroup(client: IAMClient, userName: string, groupName: string): Promise<void> {
  await client.send(new AddUserToGroupCommand({ UserName: userName, GroupName: groupName }));
}

export async function removeUserFromGroup(
  client: IAMClient,
  userName: string,
  groupName: string,
): Promise<void> {
  await client.send(new RemoveUserFromGroupCommand({ UserName: userName, GroupName: groupName }));
}

/** The inline policy's document as IAM stores it (already URL-decoded). */
export async function getInlinePolicy(
  client: IAMClient,
  p: AwsPrincipal,
  policyName: string,
): Promise<string> {
  const out =
    p.type === "user"
      ? await client.send(new GetUserPolicyCommand({ UserName: p.name, PolicyName: policyName }))
      : p.type === "role"
        ? await client.send(new GetRolePolicyCommand({ RoleName: p.name, PolicyName: policyName }))
        : await client.send(new GetGroupPolicyCommand({ GroupName: p.name, PolicyName: policyName }));
  // IAM returns the document URL-encoded (RFC 3986) inside the XML.
  return decodeURIComponent(out.PolicyDocument ?? "");
}

export async function putInlinePolicy(
  client: IAMClient,
  p: AwsPrincipal,
  policyName: string,
  document: string,
): Promise<void> {
  const input = { PolicyName: policyName, PolicyDocument: document };
  switch (p.type) {
    case "user":
      await client.send(new PutUserPolicyCommand({ ...input, UserName: p.name }));
      return;
    case "role":
      await client.send(new PutRolePolicyCommand({ ...input, RoleName: p.name }));
      return;
    case "group":
      await client.send(new PutGroupPolicyCommand({ ...input, GroupName: p.name }));
      return;
  }
}

export async function deleteInlinePolicy(
  client: IAMClient,
  p: AwsPrincipal,
  policyName: string,
): Promise<void> {
  const input = { PolicyName: policyName };
  switch (p.type) {
    case "user":
      await client.send(new DeleteUserPolicyCommand({ ...input, UserName: p.name }));
      return;
    case "role":
      await client.send(new DeleteRolePolicyCommand({ ...input, RoleName: p.name }));
      return;
    case "group":
      await client.send(new DeleteGroupPolicyCommand({ ...input, GroupName: p.name }));
      return;
  }
}
