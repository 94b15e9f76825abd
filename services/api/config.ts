import { z } from "zod";
import { baseEnv, ConfigError, databaseEnv, isoDuration, parseEnv, redisEnv } from "../../lib/config/env.ts";

/** Printed at start in development so `bun run dev` works out of the box; refused in production. */
export const DEV_API_TOKENS = "dev:dev-token-change-me-0000";

const apiEnv = {
  ...baseEnv,
  ...databaseEnv,
  ...redisEnv,
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default("0.0.0.0"),
  API_TOKENS: z.string().max(65536).optional(),
  CACHE_TTL_SECONDS: z.coerce.number().int().min(1).max(86400).default(300),
  /** TTL for statuses that may still change: bounds how long a racing stale SET can live. */
  CACHE_MOVING_TTL_SECONDS: z.coerce.number().int().min(1).max(60).default(2),
  MAX_GRANT_DURATION: isoDuration.prefault("P7D"),
  POLICY_FILE: z.string().optional(),
  RETRY_AFTER_SECONDS: z.coerce.number().int().min(1).max(3600).default(2),
};

export type ApiConfig = ReturnType<typeof loadApiConfig>;

export function loadApiConfig(env: Record<string, string | undefined>) {
  const cfg = parseEnv(apiEnv, env);
  if (cfg.API_TOKENS === undefined && cfg.NODE_ENV === "production") {
    throw new ConfigError(["API_TOKENS: required in production"]);
  }
  return {
    ...cfg,
    usingDevTokens: cfg.API_TOKENS === undefined,
    API_TOKENS: cfg.API_TOKENS ?? DEV_API_TOKENS,
  };
}
