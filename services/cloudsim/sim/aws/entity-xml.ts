import type { ManagedPolicyInfo } from "./aws-managed-policies.ts";
import type { CustomerPolicyRecord, GroupRecord, RoleRecord, UserRecord } from "./iam-store.ts";
import type { XmlField } from "./xml.ts";

/** IAM returns policy documents URL-encoded inside the XML (callers decode with decodeURIComponent). */
export const encodeDocument = (document: string) => encodeURIComponent(document);

export function userXml(u: UserRecord): XmlField[] {
  return [
    ["Path", u.path],
    ["UserName", u.name],
    ["UserId", u.id],
    ["Arn", u.arn],
    ["CreateDate", u.createDate],
  ];
}

export function roleXml(r: RoleRecord): XmlField[] {
  return [
    ["Path", r.path],
    ["RoleName", r.name],
    ["RoleId", r.id],
    ["Arn", r.arn],
    ["CreateDate", r.createDate],
    ["AssumeRolePolicyDocument", encodeDocument(r.assumeRolePolicyDocument)],
    ["Description", r.description],
    ["MaxSessionDuration", r.maxSessionDuration],
  ];
}

export function groupXml(g: GroupRecord): XmlField[] {
  return [
    ["Path", g.path],
    ["GroupName", g.name],
    ["GroupId", g.id],
    ["Arn", g.arn],
    ["CreateDate", g.createDate],
  ];
}

export function customerPolicyXml(p: CustomerPolicyRecord, attachmentCount: number): XmlField[] {
  return [
    ["PolicyName", p.name],
    ["PolicyId", p.id],
    ["Arn", p.arn],
    ["Path", p.path],
    ["DefaultVersionId", "v1"],
    ["AttachmentCount", attachmentCount],
    ["PermissionsBoundaryUsageCount", 0],
    ["IsAttachable", true],
    ["Description", p.description],
    ["CreateDate", p.createDate],
    ["UpdateDate", p.updateDate],
  ];
}

const AWS_POLICY_EPOCH = new Date("2015-02-06T18:39:46Z");

export function managedPolicyXml(p: ManagedPolicyInfo, attachmentCount: number): XmlField[] {
  return [
    ["PolicyName", p.name],
    ["PolicyId", p.policyId],
    ["Arn", p.arn],
    ["Path", p.path],
    ["DefaultVersionId", "v1"],
    ["AttachmentCount", attachmentCount],
    ["PermissionsBoundaryUsageCount", 0],
    ["IsAttachable", true],
    ["CreateDate", AWS_POLICY_EPOCH],
    ["UpdateDate", AWS_POLICY_EPOCH],
  ];
}
