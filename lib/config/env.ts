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
  /**
   * A read replica for read-only paths (the API's reads on a cache miss, the dashboard's lists);
   * unset: everything goes to DATABASE_URL. Writes and audit rows always go to the primary.
   */
  DATABASE_READ_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
    .optional(),
};

const hostPort = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

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
  /**
   * Redis Sentinel for a highly available Redis: comma-separated host:port of the sentinels.
   * When set, the sentinels name the primary (REDIS_SENTINEL_NAME) and REDIS_URL gives only its
   * password, user, database and TLS (its host and port are ignored).
   */
  REDIS_SENTINELS: z
    .string()
    .max(2048)
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      const list = v
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");
      const bad = list.filter((s) => !hostPort.test(s) || Number(s.slice(s.lastIndexOf(":") + 1)) > 65535);
      if (list.length === 0 || bad.length > 0) {
        ctx.addIssue({ code: "custom", message: "must be a comma-separated list of host:port" });
        return z.NEVER;
      }
      return list.map((s) => {
        const i = s.lastIndexOf(":");
        return { host: s.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(s.slice(i + 1)) };
      });
    }),
  /** The primary's name in the sentinels' configuration (`sentinel monitor <name> ...`). */
  REDIS_SENTINEL_NAME: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .default("mymaster"),
  /** The sentinels' own password (requirepass in sentinel.conf), when they have one. */
  REDIS_SENTINEL_PASSWORD: z.string().min(1).max(512).optional(),
};

/** The small HTTP port of a process that serves no API (workers, scheduler): /metrics and /healthz. */
export const metricsEnv = {
  /** 0 picks a free port (logged at start). */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  METRICS_HOST: z.string().min(1).default("0.0.0.0"),
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
