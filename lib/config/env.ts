import { z } from "zod";

/** Thrown when the environment does not satisfy a process's config schema. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join("; ")}`);
    this.name = "ConfigError";
  }
}

/** ISO 8601 duration (PnYnMnDTnHnMnS, PnW) → milliseconds; undefined when it is not one. */
export function parseIsoDuration(text: string): number | undefined {
  const m =
    /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(
      text,
    );
  if (!m || text === "P" || text.endsWith("T")) return undefined;
  const [, w, d, h, min, s] = m;
  const n = (v: string | undefined) => (v === undefined ? 0 : Number(v));
  const ms = (((n(w) * 7 + n(d)) * 24 + n(h)) * 60 + n(min)) * 60_000 + n(s) * 1000;
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

export const isoDuration = z
  .string()
  .max(64)
  .transform((v, ctx) => {
    const ms = parseIsoDuration(v);
    if (ms === undefined || ms <= 0) {
      ctx.addIssue({ code: "custom", message: `not a positive ISO 8601 duration: ${v}` });
      return z.NEVER;
    }
    return ms;
  });

const logLevel = z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

/** Pieces shared by every process's config schema. */
export const baseEnv = {
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  LOG_LEVEL: logLevel.default("info"),
};

export const databaseEnv = {
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
    .default("postgres://postgres@127.0.0.1:5432/csecbridge"),
  /** Bound on every query issued on a request path, so no caller hangs on a dead server. */
  DB_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(3000),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
};

export const redisEnv = {
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL")
    .default("redis://127.0.0.1:6379"),
  /** Prefix for every key; empty in production. Tests and parallel dev stacks use it to stay apart. */
  REDIS_KEY_PREFIX: z
    .string()
    .max(64)
    .regex(/^[A-Za-z0-9:_-]*$/)
    .default(""),
  REDIS_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(2000),
};

/**
 * Validates `env` against `shape`. On failure throws one ConfigError naming every bad variable
 * (never its value: it may be a secret).
 */
export function parseEnv<S extends z.ZodRawShape>(
  shape: S,
  env: Record<string, string | undefined>,
): z.infer<z.ZodObject<S>> {
  // Empty strings mean "unset" so that `FOO= bun ...` falls back to the default.
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== "") cleaned[k] = v;
  const result = z.object(shape).safeParse(cleaned);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((i) => `${i.path.join(".") || "(env)"}: ${i.message}`));
}
