/**
 * Per-client roles, guardrails and rate limits, loaded from POLICY_FILE (JSON or YAML):
 *
 *   clients:
 *     ticketing:                       # the client name of an API token
 *       role: submitter                # submitter (default) | operator | auditor (lib/auth/authorize.ts)
 *       rate_limit: { requests: 600, per: PT1M, burst: 100 }  # optional; top-level rate_limit: default
 *       providers: [aws]               # allowed providers (default none)
 *       max_duration: PT8H             # optional ISO 8601: a grant must expire within it
 *       actions: [grant, revoke]       # optional, default both
 *       aws:
 *         policy_arns: ["arn:aws:iam::aws:policy/ReadOnly*"]  # globs (* ** ?, see glob.ts), case-sensitive
 *         groups: ["developers", "oncall-*"]                   # globs, case-sensitive
 *         inline_policies: false       # may the client send inline policies (default false)
 *         principals: ["user/*"]       # optional globs over "<type>/<name>", default all
 *       azure:
 *         roles: ["Reader", "Storage Blob Data *"]  # name globs (case-insensitive) or definition GUIDs
 *         scope_prefixes: ["/subscriptions/<guid>/resourceGroups/rg-dev"]
 *       webhooks:                      # optional: signed callbacks (docs/webhooks.md)
 *         endpoints: [{ url: "https://ticketing.example/hooks", max_in_flight: 4 }]
 *         events: [request.succeeded, request.failed, grant.revoked, grant.expiring]
 *         expiring_lead_time: PT15M    # required when grant.expiring is asked for
 *         secrets: [{ env: TICKETING_WEBHOOK_SECRET }]  # env names only: never a secret here
 *
 * Deny by default: a client not listed may do nothing; an omitted permission list allows nothing
 * of that kind (only `principals` defaults to all). Unknown keys are errors, because a misspelt
 * rule silently ignored is a guardrail that is not there. docs/policy.md is the operator's guide.
 */
import { z } from "zod";
import { parseIsoDuration } from "../config/env.ts";
import { PROVIDERS } from "../schemas/request.ts";
import { WEBHOOK_EVENT_TYPES } from "../webhooks/event-types.ts";

/**
 * What a client may do besides its guardrails (lib/auth/authorize.ts has the table):
 * submitter (the default) its own requests only; operator reads and revokes across clients;
 * auditor reads everything and writes nothing.
 */
export const ROLES = ["submitter", "operator", "auditor"] as const;
export type Role = (typeof ROLES)[number];

/** Same shape as the client names API_TOKENS accepts (lib/auth/api-tokens.ts). */
const clientName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "must be a client name of API_TOKENS");

/** Printable ASCII; a pattern with spaces at its ends is almost certainly a mistake. */
const glob = (what: string, opts: { spaces: boolean }) =>
  z
    .string()
    .min(1)
    .max(2048)
    .regex(opts.spaces ? /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/ : /^[\x21-\x7e]+$/, `must be a ${what}`);

const globList = (what: string, opts = { spaces: false }) => z.array(glob(what, opts)).max(1000);

/**
 * A literal ARM path prefix. Dot segments are refused (they would not mean what they seem), and
 * so are glob characters: prefixes are compared segment by segment, never as patterns.
 */
const scopePrefix = z
  .string()
  .min(1)
  .max(1024)
  // Each repetition starts at its own "/": no nested ambiguity, so no catastrophic backtracking.
  .regex(
    /^(?:\/[A-Za-z0-9._()~-]+)*\/?$/,
    "must be an ARM path such as /subscriptions/<id>/resourceGroups/<name>",
  )
  .refine(
    (s) => !s.split("/").some((seg) => seg === "." || seg === ".."),
    "must not contain . or .. segments",
  );

const isoDuration = z
  .string()
  .max(64)
  .refine((v) => (parseIsoDuration(v) ?? 0) > 0, "must be a positive ISO 8601 duration such as PT8H");

export const awsRulesSchema = z.strictObject({
  policy_arns: globList("policy ARN glob").optional(),
  groups: globList("group name glob").optional(),
  inline_policies: z.boolean().optional(),
  principals: globList('"<type>/<name>" glob').optional(),
});

export const azureRulesSchema = z.strictObject({
  roles: globList("role name glob or role definition GUID", { spaces: true }).optional(),
  scope_prefixes: z.array(scopePrefix).max(1000).optional(),
});

/**
 * Requests a client may make: `requests` per `per` sustained, at most `burst` at once (default:
 * `requests`). Counted per client across every API replica (lib/ratelimit).
 */
export const rateLimitSchema = z
  .strictObject({
    requests: z.number().int().min(1).max(1_000_000),
    per: z
      .string()
      .max(64)
      .refine((v) => {
        const ms = parseIsoDuration(v);
        return ms !== undefined && ms >= 1000 && ms <= 86_400_000 && ms % 1000 === 0;
      }, "must be an ISO 8601 duration of whole seconds, from PT1S to P1D"),
    burst: z.number().int().min(1).max(1_000_000).optional(),
  })
  .refine((r) => r.burst === undefined || r.burst <= r.requests, {
    path: ["burst"],
    message: "must not be more than requests",
  });

const webhookEvents = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length)
  .refine((v) => new Set(v).size === v.length, "must not repeat an event");

/**
 * An endpoint a client's callbacks go to. http(s) only, no credentials in the URL (it is stored
 * with each delivery and shown by the deliveries API), no fragment.
 */
export const webhookEndpointSchema = z.strictObject({
  url: z
    .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" })
    .max(2048)
    .refine((u) => {
      const p = new URL(u);
      return p.username === "" && p.password === "" && p.hash === "";
    }, "must not carry credentials or a fragment"),
  /** Deliveries in flight to this endpoint at once, across every webhook worker (default 4). */
  max_in_flight: z.number().int().min(1).max(100).optional(),
  /** Narrows the client's `events` for this endpoint. */
  events: webhookEvents.optional(),
});

/**
 * A signing secret, by reference only: the name of an environment variable of the webhooks
 * service holding a Standard Webhooks secret (`whsec_<base64>`). Several during a rotation:
 * every delivery is signed with each, and receivers accept any one signature they can verify.
 */
const secretRef = z.strictObject({
  env: z.string().regex(/^[A-Z_][A-Z0-9_]{0,127}$/, "must be an environment variable name"),
});

export const webhookRulesSchema = z
  .strictObject({
    endpoints: z.array(webhookEndpointSchema).min(1).max(10),
    events: webhookEvents,
    /** How long before a grant's end `grant.expiring` is sent (ISO 8601). */
    expiring_lead_time: isoDuration.optional(),
    secrets: z.array(secretRef).min(1).max(5),
  })
  .superRefine((w, ctx) => {
    const asked = [w.events, ...w.endpoints.map((e) => e.events ?? [])].flat();
    if (asked.includes("grant.expiring") && w.expiring_lead_time === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["expiring_lead_time"],
        message: "required when grant.expiring is one of the events",
      });
    }
    const urls = w.endpoints.map((e) => new URL(e.url).href);
    if (new Set(urls).size !== urls.length) {
      ctx.addIssue({ code: "custom", path: ["endpoints"], message: "must not list a URL twice" });
    }
  });

export const clientPolicySchema = z.strictObject({
  role: z.enum(ROLES).optional(),
  rate_limit: rateLimitSchema.optional(),
  providers: z
    .array(z.enum(PROVIDERS))
    .max(PROVIDERS.length * 2)
    .optional(),
  max_duration: isoDuration.optional(),
  actions: z
    .array(z.enum(["grant", "revoke"]))
    .max(2)
    .optional(),
  aws: awsRulesSchema.optional(),
  azure: azureRulesSchema.optional(),
  webhooks: webhookRulesSchema.optional(),
});

export const policySchema = z.strictObject({
  /** The limit of every client that sets none (lib/ratelimit/limits.ts has the built-in one). */
  rate_limit: rateLimitSchema.optional(),
  clients: z.record(clientName, clientPolicySchema),
});

export type Policy = z.infer<typeof policySchema>;
export type ClientPolicy = z.infer<typeof clientPolicySchema>;
export type RateLimitRule = z.infer<typeof rateLimitSchema>;
export type WebhookRules = z.infer<typeof webhookRulesSchema>;
