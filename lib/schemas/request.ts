import { z } from "zod";
import { parseIsoDuration } from "../config/env.ts";
import type { FieldIssue } from "../errors/http-errors.ts";
import { fieldIssues } from "./issues.ts";

/**
 * Bounded, printable text. Rejected: C0/C1 control characters (log and header injection; NUL is
 * also refused by PostgreSQL jsonb), line/paragraph separators, and bidi overrides/isolates (text
 * shown on the dashboard could otherwise be made to read as something else).
 */
const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(
      // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
      /^[^\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]*$/,
      "must not contain control characters",
    )
    // A lone surrogate survives JSON.parse but PostgreSQL rejects it in jsonb: that would be a 500.
    .refine((v) => v.isWellFormed(), "must be well-formed Unicode");

// GUID shape only (not RFC 9562 version/variant bits): Azure accepts any GUID as an object id.
const uuid = z.guid({ message: "must be a UUID" });

/**
 * A literal matched case-insensitively, as regex source ("ab" → "[aA][bB]"). JSON Schema patterns
 * carry no flags, so a regex with /i would be exported stricter than zod checks it.
 */
const ci = (literal: string) =>
  literal
    .replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")
    .replace(/[A-Za-z]/g, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`);

// ---------------------------------------------------------------- AWS

/** IAM names: the character set IAM itself accepts ([\w+=,.@-]). */
const iamName = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[\w+=,.@-]+$/, "must be an IAM name ([A-Za-z0-9+=,.@_-])");

/**
 * A managed policy ARN. Every path segment and the name are non-empty and neither "." nor "..":
 * `policy/ReadOnly/../AdministratorAccess` or `policy//x` would be read one way by a guardrail
 * pattern and another by whatever resolves paths later, so they are refused outright.
 */
export const awsPolicyArn = z
  .string()
  .max(2048)
  .regex(
    /^arn:aws(?:-cn|-us-gov)?:iam::(?:aws|\d{12}):policy\/(?:(?!\.\.?\/)[\w+=,.@-]+\/)*(?!\.\.?$)[\w+=,.@-]{1,128}$/,
    "must be an IAM policy ARN (arn:aws:iam::<account|aws>:policy/<path/>name) without empty, . or .. segments",
  );

const stringOrList = (max: number) =>
  z.union([text(max), z.array(text(max)).min(1).max(100)], {
    error: "must be a string or a non-empty array of strings",
  });
const conditionScalar = z.union([text(1024), z.boolean(), z.number()], {
  error: "must be a string, boolean or number",
});
const conditionValue = z.union([conditionScalar, z.array(conditionScalar).max(100)], {
  error: "must be a string, boolean, number or an array of them",
});

const statement = z
  .strictObject({
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
  })
  // IAM refuses such a statement (MalformedPolicyDocument); saying so here gives a 422, not a
  // permanently failed request later.
  .superRefine((s, ctx) => {
    if ((s.Action === undefined) === (s.NotAction === undefined)) {
      ctx.addIssue({ code: "custom", path: ["Action"], message: "give exactly one of Action or NotAction" });
    }
    if ((s.Resource === undefined) === (s.NotResource === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["Resource"],
        message: "give exactly one of Resource or NotResource",
      });
    }
  });

/** Largest inline policy IAM accepts (roles: 10,240 characters); users and groups are lower. */
export const MAX_POLICY_DOCUMENT_CHARS = 10_240;

export const iamPolicyDocument = z
  .strictObject({
    Version: z.enum(["2012-10-17", "2008-10-17"]),
    Id: text(128).optional(),
    Statement: z.union([statement, z.array(statement).min(1).max(100)], {
      error: "must be a statement object or a non-empty array of statements",
    }),
  })
  .describe(`IAM policy document, at most ${MAX_POLICY_DOCUMENT_CHARS} characters as compact JSON`)
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
    // Required for a grant; a revoke removes the policy by name and needs no document (still
    // validated when given). See awsRequestSchema.
    document: iamPolicyDocument.optional(),
  }),
]);

// ---------------------------------------------------------------- Azure

// A name segment. "." and ".." are refused: HTTP clients resolve dot segments, so
// ".../resourceGroups/rg-dev/providers/x/../../../../resourceGroups/rg-prod" would pass a prefix
// guardrail on rg-dev yet be sent to ARM as rg-prod.
const notDots = "(?!\\.\\.?(?:/|$))";
const segment = `${notDots}[A-Za-z0-9._()~-]{1,90}`;
const guidRe = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
/**
 * ARM scopes a role can be assigned at: a management group, a subscription, a resource group,
 * or a resource (any depth of provider/type/name below a resource group).
 */
const scopeRe = new RegExp(
  `^(?:/${ci("providers/Microsoft.Management/managementGroups")}/${segment}` +
    `|/${ci("subscriptions")}/${guidRe}(?:/${ci("resourceGroups")}/${segment}` +
    `(?:/${ci("providers")}/${notDots}[A-Za-z0-9.]{1,64}(?:/${segment}/${segment})+)?)?)$`,
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
      `^(?:${guidRe}|(?:/${ci("subscriptions")}/${guidRe})?/${ci("providers/Microsoft.Authorization/roleDefinitions")}/${guidRe})$`,
    ),
    "must be a role definition GUID or its /providers/Microsoft.Authorization/roleDefinitions/<guid> id",
  );

const azureRole = z.union(
  [
    z.strictObject({
      name: z
        .string()
        .min(1)
        .max(256)
        .regex(/^[A-Za-z0-9 ._()/-]+$/, "must be a role name"),
    }),
    z.strictObject({ definition_id: roleDefinitionId }),
  ],
  { error: "must be {name} or {definition_id}, exactly one of them" },
);

const azurePrincipal = z.strictObject({
  id: uuid,
  type: z.enum(["User", "Group", "ServicePrincipal"]),
});

// ---------------------------------------------------------------- common

export const rfc3339 = z.iso.datetime({ offset: true, message: "must be an RFC 3339 date-time with offset" });
/** The shape parseIsoDuration accepts, also exported as the JSON Schema pattern (no months/years). */
const isoDurationRe =
  /^P(?=\d|T\d)(?:\d+(?:\.\d+)?W)?(?:\d+(?:\.\d+)?D)?(?:T(?=\d)(?:\d+(?:\.\d+)?H)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?S)?)?$/;
export const isoDurationText = z
  .string()
  .max(64)
  .regex(isoDurationRe, { error: "must be an ISO 8601 duration such as PT2H", abort: true })
  .refine((v) => (parseIsoDuration(v) ?? 0) > 0, "must be a positive ISO 8601 duration such as PT2H");

const common = {
  action: z.enum(["grant", "revoke"]),
  expires_at: rfc3339.optional(),
  duration: isoDurationText.optional(),
  requested_by: text(256).optional(),
  ticket: text(128).optional(),
  justification: text(2000).optional(),
  /**
   * Where this request's callbacks go: must be one of the client's configured webhook endpoints
   * (policy file; checked with the guardrails, 403 otherwise). Narrows delivery to that endpoint.
   */
  callback_url: z
    .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" })
    .max(2048)
    .optional(),
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
    if (
      r.permission.type === "inline_policy" &&
      r.action === "grant" &&
      r.permission.document === undefined
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["permission", "document"],
        message: "an inline policy grant needs its document",
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
  /** Absolute expiry of a grant (by the validating clock); null for a revoke. */
  expiresAt: Date | null;
  /**
   * The grant's duration when it was given as one: stored expiries are counted from the insert on
   * the database clock, so this, not expiresAt, is what the database is told.
   */
  durationMs: number | null;
}

export type ParseResult = { ok: true; value: ParsedRequest } | { ok: false; issues: FieldIssue[] };

export interface ParseOptions {
  now: Date;
  maxDurationMs: number;
}

/**
 * Validates a parsed JSON body: the schema, and the rules that need the clock (a grant's expiry is
 * in the future and within the maximum). Every failing path is reported, the clock's included even
 * when the schema failed elsewhere. Never throws, whatever the input.
 */
export function parseRequestPayload(body: unknown, opts: ParseOptions): ParseResult {
  let result: ReturnType<typeof requestPayloadSchema.safeParse>;
  try {
    result = requestPayloadSchema.safeParse(body);
  } catch {
    // zod runs its size checks on any value with a `length` (or `size`) and compares it with a
    // number; one whose conversion to a primitive throws makes safeParse throw. The HTTP layer
    // refuses such bodies before this (read-json-body.ts); this is the same refusal for any
    // other caller.
    return {
      ok: false,
      issues: [{ pointer: "", detail: "input that cannot be compared (a key shadows toString or valueOf)" }],
    };
  }
  const clock = checkExpiry(body, opts);
  const issues = [...(result.success ? [] : fieldIssues(result.error.issues)), ...clock.issues];
  if (!result.success || issues.length > 0) return { ok: false, issues: dedupe(issues) };
  return {
    ok: true,
    value: { payload: result.data, expiresAt: clock.expiresAt, durationMs: clock.durationMs },
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The expiry rules, read from the raw body so they are reported alongside schema issues. A field
 * the schema rejects (wrong type, bad format) counts as present but is not range-checked: the
 * schema already reported it.
 */
function checkExpiry(
  body: unknown,
  opts: ParseOptions,
): { issues: FieldIssue[]; expiresAt: Date | null; durationMs: number | null } {
  const issues: FieldIssue[] = [];
  const none = { issues, expiresAt: null, durationMs: null };
  if (!isRecord(body)) return none;
  const { action, expires_at: rawAt, duration: rawDuration } = body;
  const hasAt = rawAt !== undefined;
  const hasDuration = rawDuration !== undefined;
  if (action === "revoke") {
    if (hasAt) issues.push({ pointer: "/expires_at", detail: "not allowed on revoke" });
    if (hasDuration) issues.push({ pointer: "/duration", detail: "not allowed on revoke" });
    return none;
  }
  if (action !== "grant") return none;
  if (hasAt && hasDuration) {
    issues.push({ pointer: "/duration", detail: "give expires_at or duration, not both" });
    return none;
  }
  if (!hasAt && !hasDuration) {
    // Time-bound access only: a grant without an expiry would outlive every guardrail.
    issues.push({ pointer: "/expires_at", detail: "a grant needs expires_at or duration" });
    return none;
  }
  const pointer = hasAt ? "/expires_at" : "/duration";
  let ms: number | undefined;
  if (hasAt) {
    if (rfc3339.safeParse(rawAt).success) ms = Date.parse(String(rawAt)) - opts.now.getTime();
  } else if (isoDurationText.safeParse(rawDuration).success) {
    ms = parseIsoDuration(String(rawDuration));
  }
  if (ms === undefined) return none;
  // Compared as a span before building a Date: a huge duration would give an Invalid Date.
  if (Number.isNaN(ms)) issues.push({ pointer, detail: "not a valid time" });
  else if (ms <= 0) issues.push({ pointer, detail: "expiry must be in the future" });
  else if (ms > opts.maxDurationMs) {
    issues.push({
      pointer,
      detail: `expiry is beyond the maximum grant duration (${opts.maxDurationMs} ms)`,
    });
  } else {
    return { issues, expiresAt: new Date(opts.now.getTime() + ms), durationMs: hasAt ? null : ms };
  }
  return none;
}

function dedupe(issues: FieldIssue[]): FieldIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.pointer}\u0000${i.detail}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Who the request is about, for filtering: the IAM principal name or the Azure object id. */
export function principalOf(p: RequestPayload): string {
  return p.provider === "aws" ? `${p.principal.type}/${p.principal.name}` : p.principal.id.toLowerCase();
}

/** The GUID at the end of a role definition id (or the id itself when it is a bare GUID). */
export function roleGuid(definitionId: string): string {
  return (definitionId.split("/").pop() ?? definitionId).toLowerCase();
}

/** ARM paths are case-insensitive; trailing slashes carry no meaning. */
export function normalizeScope(scope: string): string {
  return `/${scope.replace(/^\/+/, "").replace(/\/+$/, "")}`.toLowerCase();
}
