import { z } from "zod";
import { baseEnv, ConfigError, databaseEnv, isoDuration, parseEnv, redisEnv } from "../../lib/config/env.ts";

/**
 * The public development token: used only when development is asked for explicitly
 * (CSECBRIDGE_DEV=1, which `bun run dev` sets) and API_TOKENS is not set. Never otherwise,
 * whatever NODE_ENV says: a deployment that forgets API_TOKENS must not start with it.
 */
export const DEV_API_TOKENS = "dev:dev-token-change-me-0000";

export const apiEnv = {
  ...baseEnv,
  ...databaseEnv,
  ...redisEnv,
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default("0.0.0.0"),
  API_TOKENS: z.string().max(65536).optional(),
  /** "1": this is a developer's machine; allows the public dev token when API_TOKENS is unset. */
  CSECBRIDGE_DEV: z.enum(["0", "1"], { error: 'must be "1" (development) or "0"' }).default("0"),
  CACHE_TTL_SECONDS: z.coerce.number().int().min(1).max(86400).default(300),
  /** TTL for statuses that may still change: bounds how long a racing stale SET can live. */
  CACHE_MOVING_TTL_SECONDS: z.coerce.number().int().min(1).max(60).default(2),
  MAX_GRANT_DURATION: isoDuration.prefault("P7D"),
  POLICY_FILE: z.string().optional(),
  RETRY_AFTER_SECONDS: z.coerce.number().int().min(1).max(3600).default(2),
  /** Per-client rate limits (policy file `rate_limit`); "off" is for benchmarks, never production. */
  RATE_LIMITS: z.enum(["on", "off"]).default("on"),
};

export type ApiConfig = ReturnType<typeof loadApiConfig>;

export function loadApiConfig(env: Record<string, string | undefined>) {
  const cfg = parseEnv(apiEnv, env);
  const dev = cfg.CSECBRIDGE_DEV === "1";
  if (cfg.API_TOKENS === undefined && !dev) {
    throw new ConfigError([
      "API_TOKENS: required (client:secret pairs); only CSECBRIDGE_DEV=1 (bun run dev) starts without it",
    ]);
  }
  if (cfg.API_TOKENS === undefined && cfg.NODE_ENV === "production") {
    throw new ConfigError(["API_TOKENS: required with NODE_ENV=production, even with CSECBRIDGE_DEV=1"]);
  }
  return {
    ...cfg,
    usingDevTokens: cfg.API_TOKENS === undefined,
    API_TOKENS: cfg.API_TOKENS ?? DEV_API_TOKENS,
  };
}
