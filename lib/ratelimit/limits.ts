import { parseIsoDuration } from "../config/env.ts";
import type { Policy, RateLimitRule } from "../policy/schema.ts";

/** A client's limit: `requests` per `perMs` sustained, at most `burst` at once. */
export interface RateLimit {
  requests: number;
  perMs: number;
  burst: number;
}

/**
 * For clients whose policy sets no `rate_limit` (and every client without a policy file, unless
 * the file's top-level `rate_limit` says otherwise): 600 a minute, 100 at once. Ten a second
 * sustained is far above what a legacy caller sends and far below what the API serves (see
 * docs/benchmarks.md), so one client can take a small share at most.
 */
export const DEFAULT_RATE_LIMIT: RateLimit = { requests: 600, perMs: 60_000, burst: 100 };

export function fromRule(rule: RateLimitRule): RateLimit {
  const perMs = parseIsoDuration(rule.per);
  // The schema only accepts whole-second durations; failing loudly beats a silent default.
  if (perMs === undefined) throw new Error(`rate_limit.per: not a duration: ${rule.per}`);
  return { requests: rule.requests, perMs, burst: rule.burst ?? rule.requests };
}

/** The client's own limit, else the file's top-level one, else `fallback` (DEFAULT_RATE_LIMIT). */
export function rateLimitFor(
  policy: Policy | null,
  client: string,
  fallback: RateLimit = DEFAULT_RATE_LIMIT,
): RateLimit {
  const own =
    policy && Object.hasOwn(policy.clients, client) ? policy.clients[client]?.rate_limit : undefined;
  const rule = own ?? policy?.rate_limit;
  return rule ? fromRule(rule) : fallback;
}

/** µs between two requests at the sustained rate, as the script takes it (integer, >= 1). */
export function intervalMicros(limit: RateLimit): number {
  return Math.max(1, Math.round((limit.perMs * 1000) / limit.requests));
}
