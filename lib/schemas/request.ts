import { z } from "zod";
import { parseIsoDuration } from "../config/env.ts";
import type { FieldIssue } from "../errors/http-errors.ts";

// Bounded, printable text: no control characters anywhere in free-text fields.
const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
    .regex(/^[^\u0000-\u001f\u007f]*$/, "must not contain control characters");

const uuid = z.uuid({ message: "must be a UUID" });

// ---------------------------------------------------------------- AWS

/** IAM names: the character set IAM itself accepts ([\w+=,.@-]). */
const iamName = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[\w+=,.@-]+$/, "must be an IAM name ([A-Za-z0-9+=,.@_-])");

export const awsPolicyArn = z
  .string()
  .max(2048)
  .regex(
    /^arn:aws(?:-cn|-us-gov)?:iam::(?:aws|\d{12}):policy\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,128}$/,
    "must be an IAM policy ARN (arn:aws:iam::<account|aws>:policy/<path/>name)",
  );

const stringOrList = (max: number) => z.union([text(max), z.array(text(max)).min(1).max(100)]);
const conditionValue = z.union([
  text(1024),
  z.boolean(),
  z.number(),
  z.array(z.union([text(1024), z.boolean(), z.number()])).max(100),
]);

const statement = z.strictObject({
  Sid: z
    .string()
    .max(128)
    .regex(/^[A-Za-z0-9]*$/, "must be alphanumeric")
    .optional(),
  Effect: z.enum(["Allow", "Deny"]),
  Action: stringOrList(256).optional(),
  NotAction: stringOrList(256).optional(),
  Resource: stringOrList(2048).optional(),
  NotResource: stringOrList(2048).optional(),
  Condition: z
    .record(text(128), z.record(text(256), conditionValue))
    .refine((c) => Object.keys(c).length <= 20, "at most 20 condition operators")
    .optional(),
});

/** Largest inline policy IAM accepts (roles: 10,240 characters); users and groups are lower. */
export const MAX_POLICY_DOCUMENT_CHARS = 10_240;

export const iamPolicyDocument = z
  .strictObject({
    Version: z.enum(["2012-10-17", "2008-10-17"]),
    Id: text(128).optional(),
    Statement: z.union([statement, z.array(statement).min(1).max(100)]),
  })
  .refine((d) => JSON.stringify(d).length <= MAX_POLICY_DOCUMENT_CHARS, {
    message: `policy document must be at most ${MAX_POLICY_DOCUMENT_CHARS} characters`,
  });

const awsPrincipal = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("user"), name: iamName(64) }),
  z.strictObject({ type: z.literal("role"), name: iamName(64) }),
  z.strictObject({ type: z.literal("group"), name: iamName(128) }),
]);

const awsPermission = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("managed_policy"), policy_arn: awsPolicyArn }),
  z.strictObject({ type: z.literal("group_membership"), group: iamName(128) }),
  z.strictObject({
    type: z.literal("inline_policy"),
    policy_name: iamName(128),
    document: iamPolicyDocument,
  }),
]);

// ---------------------------------------------------------------- Azure

const segment = "[A-Za-z0-9._()~-]{1,90}";
const guidRe = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
/**
 * ARM scopes a role can be assigned at: a management group, a subscription, a resource group,
 * or a resource (any depth of provider/type/name below a resource group).
 */
const scopeRe = new RegExp(
  `^(?:/providers/Microsoft\\.Management/managementGroups/${segment}` +
    `|/subscriptions/${guidRe}(?:/resourceGroups/${segment}` +
    `(?:/providers/[A-Za-z0-9.]{1,64}(?:/${segment}/${segment})+)?)?)$`,
  "i",
);

export const azureScope = z
  .string()
  .max(1024)
  .regex(scopeRe, "must be an ARM scope (/subscriptions/<id>[/resourceGroups/<name>[/providers/...]])");

const roleDefinitionId = z
  .string()
  .max(512)
  .regex(
    new RegExp(
      `^(?:${guidRe}|(?:/subscriptions/${guidRe})?/providers/Microsoft\\.Authorization/roleDefinitions/${guidRe})$`,
      "i",
    ),
    "must be a role definition GUID or its /providers/Microsoft.Authorization/roleDefinitions/<guid> id",
  );

const azureRole = z.union([
  z.strictObject({
    name: z
      .string()
      .min(1)
      .max(256)
      .regex(/^[A-Za-z0-9 ._()/-]+$/, "must be a role name"),
  }),
  z.strictObject({ definition_id: roleDefinitionId }),
]);

const azurePrincipal = z.strictObject({
  id: uuid,
  type: z.enum(["User", "Group", "ServicePrincipal"]),
});

// ---------------------------------------------------------------- common

const rfc3339 = z.iso.datetime({ offset: true, message: "must be an RFC 3339 date-time with offset" });
const isoDurationText = z
  .string()
  .max(64)
  .refine((v) => (parseIsoDuration(v) ?? 0) > 0, "must be a positive ISO 8601 duration such as PT2H");

const common = {
  action: z.enum(["grant", "revoke"]),
  expires_at: rfc3339.optional(),
  duration: isoDurationText.optional(),
  requested_by: text(256).optional(),
  ticket: text(128).optional(),
  justification: text(2000).optional(),
};

export const awsRequestSchema = z
  .strictObject({ provider: z.literal("aws"), principal: awsPrincipal, permission: awsPermission, ...common })
  .superRefine((r, ctx) => {
    if (r.permission.type === "group_membership" && r.principal.type !== "user") {
      ctx.addIssue({
        code: "custom",
        path: ["principal", "type"],
        message: "group_membership needs a user principal",
      });
    }
  });

export const azureRequestSchema = z.strictObject({
  provider: z.literal("azure"),
  principal: azurePrincipal,
  role: azureRole,
  scope: azureScope,
  ...common,
});

export const requestPayloadSchema = z.discriminatedUnion("provider", [awsRequestSchema, azureRequestSchema]);

export type RequestPayload = z.infer<typeof requestPayloadSchema>;
export type AwsRequest = z.infer<typeof awsRequestSchema>;
export type AzureRequest = z.infer<typeof azureRequestSchema>;
export type Provider = RequestPayload["provider"];
export const PROVIDERS = ["aws", "azure"] as const satisfies readonly Provider[];

export interface ParsedRequest {
  payload: RequestPayload;
  /** Absolute expiry of a grant; null for a revoke. */
  expiresAt: Date | null;
}

export type ParseResult = { ok: true; value: ParsedRequest } | { ok: false; issues: FieldIssue[] };

export interface ParseOptions {
  now: Date;
  maxDurationMs: number;
}

const toPointer = (path: readonly PropertyKey[]) =>
  `/${path.map((p) => String(p).replaceAll("~", "~0").replaceAll("/", "~1")).join("/")}`;

/**
 * Validates a parsed JSON body: schema first, then the rules that need the clock
 * (a grant's expiry is in the future and within the maximum). Every failing path is reported.
 */
export function parseRequestPayload(body: unknown, opts: ParseOptions): ParseResult {
  const result = requestPayloadSchema.safeParse(body);
  if (!result.success) {
    return {
      ok: false,
      issues: result.error.issues.map((i) => ({ pointer: toPointer(i.path), detail: i.message })),
    };
  }
  const payload = result.data;
  const issues: FieldIssue[] = [];
  let expiresAt: Date | null = null;
  if (payload.action === "revoke") {
    if (payload.expires_at !== undefined) issues.push({ pointer: "/expires_at", detail: "not allowed on revoke" });
    if (payload.duration !== undefined) issues.push({ pointer: "/duration", detail: "not allowed on revoke" });
  } else if (payload.expires_at !== undefined && payload.duration !== undefined) {
    issues.push({ pointer: "/duration", detail: "give expires_at or duration, not both" });
  } else if (payload.expires_at === undefined && payload.duration === undefined) {
    // Time-bound access only: a grant without an expiry would outlive every guardrail.
    issues.push({ pointer: "/expires_at", detail: "a grant needs expires_at or duration" });
  } else {
    const at =
      payload.expires_at !== undefined
        ? new Date(payload.expires_at)
        : new Date(opts.now.getTime() + (parseIsoDuration(payload.duration ?? "") ?? 0));
    const pointer = payload.expires_at !== undefined ? "/expires_at" : "/duration";
    if (Number.isNaN(at.getTime())) issues.push({ pointer, detail: "not a valid time" });
    else if (at.getTime() <= opts.now.getTime()) issues.push({ pointer, detail: "expiry must be in the future" });
    else if (at.getTime() - opts.now.getTime() > opts.maxDurationMs) {
      issues.push({ pointer, detail: `expiry is beyond the maximum grant duration (${opts.maxDurationMs} ms)` });
    } else expiresAt = at;
  }
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, value: { payload, expiresAt } };
}

/** Who the request is about, for filtering: the IAM principal name or the Azure object id. */
export function principalOf(p: RequestPayload): string {
  return p.provider === "aws" ? `${p.principal.type}/${p.principal.name}` : p.principal.id.toLowerCase();
}

/**
 * Canonical "who gets what where": two grants with the same key give the same access, so the
 * revoke of one must not take it away while the other is still active.
 */
export function accessKey(p: RequestPayload): string {
  if (p.provider === "aws") {
    const who = `aws:${p.principal.type}/${p.principal.name}`;
    switch (p.permission.type) {
      case "managed_policy":
        return `${who}:policy:${p.permission.policy_arn}`;
      case "group_membership":
        return `${who}:group:${p.permission.group}`;
      case "inline_policy":
        return `${who}:inline:${p.permission.policy_name}`;
    }
  }
  const role = "name" in p.role ? `name:${p.role.name.toLowerCase()}` : `id:${roleGuid(p.role.definition_id)}`;
  return `azure:${p.principal.id.toLowerCase()}:${role}:${normalizeScope(p.scope)}`;
}

/** The GUID at the end of a role definition id (or the id itself when it is a bare GUID). */
export function roleGuid(definitionId: string): string {
  return (definitionId.split("/").pop() ?? definitionId).toLowerCase();
}

/** ARM paths are case-insensitive; trailing slashes carry no meaning. */
export function normalizeScope(scope: string): string {
  return `/${scope.replace(/^\/+/, "").replace(/\/+$/, "")}`.toLowerCase();
}
