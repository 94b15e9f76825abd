import { Webhook } from "standardwebhooks";
import { parseIsoDuration } from "../config/env.ts";
import type { Policy } from "../policy/schema.ts";
import type { WebhookEventType } from "./event-types.ts";

/** Default `max_in_flight` of an endpoint. */
export const DEFAULT_MAX_IN_FLIGHT = 4;

export interface Endpoint {
  client: string;
  /** Normalised (URL.href): what deliveries store and callback_url is compared with. */
  url: string;
  maxInFlight: number;
  events: ReadonlySet<WebhookEventType>;
}

export interface ClientWebhooks {
  endpoints: readonly Endpoint[];
  /** grant.expiring lead time, ms; null when not asked for. */
  expiringLeadMs: number | null;
  /** Environment variable names of the signing secrets (never the secrets). */
  secretEnvs: readonly string[];
}

/** Every client's webhook configuration, read once from the policy file. */
export type WebhookDirectory = ReadonlyMap<string, ClientWebhooks>;

export const normalizeUrl = (url: string) => new URL(url).href;

export function webhookDirectory(policy: Policy | null): WebhookDirectory {
  const out = new Map<string, ClientWebhooks>();
  for (const [client, rules] of Object.entries(policy?.clients ?? {})) {
    const w = rules.webhooks;
    if (!w) continue;
    out.set(client, {
      endpoints: w.endpoints.map((e) => ({
        client,
        url: normalizeUrl(e.url),
        maxInFlight: e.max_in_flight ?? DEFAULT_MAX_IN_FLIGHT,
        events: new Set(e.events ?? w.events),
      })),
      expiringLeadMs:
        w.expiring_lead_time === undefined ? null : (parseIsoDuration(w.expiring_lead_time) ?? null),
      secretEnvs: w.secrets.map((s) => s.env),
    });
  }
  return out;
}

/**
 * Where one event of `client` goes: each configured endpoint subscribed to it, or — when the
 * request named a callback_url — that endpoint only (if it is subscribed).
 */
export function endpointsFor(
  dir: WebhookDirectory,
  client: string,
  event: string,
  callbackUrl: string | null,
): Endpoint[] {
  const all = dir.get(client)?.endpoints ?? [];
  const wanted = callbackUrl === null ? null : safeNormalize(callbackUrl);
  return all.filter((e) => e.events.has(event as WebhookEventType) && (wanted === null || e.url === wanted));
}

export function findEndpoint(dir: WebhookDirectory, client: string, url: string): Endpoint | undefined {
  return dir.get(client)?.endpoints.find((e) => e.url === url);
}

/** Is `url` one of the client's configured endpoints? (A request's callback_url must be.) */
export function isConfiguredEndpoint(policy: Policy | null, client: string, url: string): boolean {
  const rules = policy && Object.hasOwn(policy.clients, client) ? policy.clients[client] : undefined;
  const wanted = safeNormalize(url);
  return (rules?.webhooks?.endpoints ?? []).some((e) => normalizeUrl(e.url) === wanted);
}

function safeNormalize(url: string): string | null {
  try {
    return normalizeUrl(url);
  } catch {
    return null;
  }
}

/**
 * The signers of every client with webhooks, from the environment variables the policy names.
 * Returns the problems (a variable unset, or not a Standard Webhooks secret) instead of throwing,
 * so the service's config can report them all at once; a problem names the variable, never its value.
 */
export function resolveSigners(
  dir: WebhookDirectory,
  env: Record<string, string | undefined>,
): { signers: Map<string, Webhook[]>; problems: string[] } {
  const signers = new Map<string, Webhook[]>();
  const problems: string[] = [];
  for (const [client, w] of dir) {
    const list: Webhook[] = [];
    for (const name of w.secretEnvs) {
      const value = env[name];
      if (value === undefined || value === "") {
        problems.push(`${name}: unset (signing secret of client "${client}" in the policy file)`);
        continue;
      }
      if (!/^whsec_[A-Za-z0-9+/]{22,}={0,2}$/.test(value)) {
        problems.push(`${name}: must be a Standard Webhooks secret, whsec_ followed by base64 of 16+ bytes`);
        continue;
      }
      list.push(new Webhook(value));
    }
    signers.set(client, list);
  }
  return { signers, problems };
}
