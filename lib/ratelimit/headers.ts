import type { RateLimit } from "./limits.ts";
import type { RateDecision } from "./take.ts";

/** The policy name in both fields; one policy per client. */
const POLICY = '"client"';

const seconds = (us: number) => Math.max(0, Math.ceil(us / 1_000_000));

/**
 * The fields of draft-ietf-httpapi-ratelimit-headers-12 (Structured Fields, RFC 9651):
 *   RateLimit-Policy: "client";q=<requests>;w=<per, seconds>   the configured quota
 *   RateLimit: "client";r=<remaining>;t=<seconds until more quota is available>
 * and on a refusal Retry-After (RFC 9110) with the seconds to wait, never 0.
 */
export function rateLimitHeaders(decision: RateDecision, limit: RateLimit): Record<string, string> {
  const headers: Record<string, string> = {
    "ratelimit-policy": `${POLICY};q=${limit.requests};w=${Math.ceil(limit.perMs / 1000)}`,
    ratelimit: `${POLICY};r=${decision.remaining};t=${seconds(decision.waitUs)}`,
  };
  if (!decision.allowed) headers["retry-after"] = String(Math.max(1, seconds(decision.waitUs)));
  return headers;
}
