import { parseApiTokens, secretsPerClient } from "../../lib/auth/api-tokens.ts";
import { roleOf } from "../../lib/auth/authorize.ts";
import { answerStandardFlags } from "../../lib/cli/standard-flags.ts";
import { ConfigError } from "../../lib/config/env.ts";
import { createSql } from "../../lib/db/connect.ts";
import { assertMigrated, UnmigratedDatabaseError } from "../../lib/db/migrate.ts";
import { createApp } from "../../lib/http/app.ts";
import { serveOptions } from "../../lib/http/serve.ts";
import { createLogger } from "../../lib/logging/logger.ts";
import { dependencyMetrics } from "../../lib/metrics/dependency-metrics.ts";
import { httpMetrics } from "../../lib/metrics/http-metrics.ts";
import { createRegistry } from "../../lib/metrics/registry.ts";
import { loadPolicyFile } from "../../lib/policy/load.ts";
import { checkRedisPolicy } from "../../lib/queue/check-redis-policy.ts";
import { DEFAULT_RATE_LIMIT } from "../../lib/ratelimit/limits.ts";
import { createRedis, redisTarget } from "../../lib/redis/connect.ts";
import { VERSION } from "../../lib/version.ts";
import { migrations } from "../../migrations/index.ts";
import { type ApiConfig, apiEnv, DEV_API_TOKENS, loadApiConfig } from "./config.ts";

const BODY_LIMIT_BYTES = 64 * 1024;

function fail(message: string): never {
  console.error(`csecbridge-api: ${message}`);
  process.exit(2);
}

async function main() {
  const program = {
    name: "csecbridge-api",
    summary:
      "the HTTP API: accepts access requests, answers their status, serves /metrics and the API reference",
    usage: ["csecbridge-api"],
    env: apiEnv,
  };
  if (answerStandardFlags(process.argv, program)) process.exit(0);
  let config: ApiConfig;
  try {
    config = loadApiConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const log = createLogger({ service: "csecbridge-api", level: config.LOG_LEVEL, version: VERSION });
  let clients: ReturnType<typeof parseApiTokens>;
  try {
    clients = parseApiTokens(config.API_TOKENS, {
      minSecretLength: config.NODE_ENV === "production" ? 24 : 8,
    });
  } catch (err) {
    fail(`invalid configuration: API_TOKENS: ${(err as Error).message}`);
  }
  if (config.usingDevTokens) {
    log.warn(
      { client: "dev" },
      `CSECBRIDGE_DEV=1 and no API_TOKENS: development token in use: Bearer ${DEV_API_TOKENS.split(":")[1]}`,
    );
  } else log.info({ secrets_per_client: secretsPerClient(clients) }, "API tokens loaded");
  const policy = config.POLICY_FILE
    ? await loadPolicyFile(config.POLICY_FILE).catch((e: Error) => fail(e.message))
    : null;
  if (!policy)
    log.warn(
      "no POLICY_FILE: every client is a submitter (own requests only) that may submit anything within MAX_GRANT_DURATION",
    );
  else {
    const names = new Set(clients.map((c) => c.name));
    const roles = Object.fromEntries([...names].map((n) => [n, roleOf(policy, n)]));
    log.info({ roles }, "policy loaded");
    const unlisted = [...names].filter((n) => !Object.hasOwn(policy.clients, n));
    if (unlisted.length > 0) {
      log.warn(
        { clients: unlisted },
        "clients of API_TOKENS not in the policy file: they may submit nothing",
      );
    }
    const tokenless = Object.keys(policy.clients).filter((n) => !names.has(n));
    if (tokenless.length > 0) log.warn({ clients: tokenless }, "policy file clients without an API token");
  }

  if (config.RATE_LIMITS === "off") log.warn("RATE_LIMITS=off: no client is rate limited");

  const sql = createSql(config.DATABASE_URL, {
    max: config.DB_POOL_MAX,
    timeoutMs: config.DB_TIMEOUT_MS,
    applicationName: "csecbridge-api",
  });
  // A replica, if configured, for read-only paths; the primary pool otherwise.
  const sqlRead = config.DATABASE_READ_URL
    ? createSql(config.DATABASE_READ_URL, {
        max: config.DB_POOL_MAX,
        timeoutMs: config.DB_TIMEOUT_MS,
        applicationName: "csecbridge-api-read",
      })
    : sql;
  const redis = createRedis(redisTarget(config), {
    keyPrefix: config.REDIS_KEY_PREFIX,
    commandTimeoutMs: config.REDIS_TIMEOUT_MS,
    name: "csecbridge-api",
    autoPipelining: true,
  });
  redis.on("error", (err) => log.debug({ err }, "redis connection error"));
  redis.once("ready", () => void checkRedisPolicy(redis, log));

  // An unmigrated database stops the start; an unreachable one does not (we start and report 503).
  let migrated = false;
  const checkMigrated = async () => {
    if (migrated) return;
    await assertMigrated(sql, migrations);
    migrated = true;
  };
  try {
    await checkMigrated();
  } catch (err) {
    if (err instanceof UnmigratedDatabaseError) fail(err.message);
    log.warn({ err }, "PostgreSQL unreachable at start; serving 503 until it answers");
  }

  const registry = createRegistry("csecbridge-api", VERSION);
  dependencyMetrics(registry, { sql, redis });
  const app = createApp({
    sql,
    sqlRead,
    redis,
    metrics: { registry, http: httpMetrics(registry) },
    log,
    clients,
    policy,
    rateLimits: { enabled: config.RATE_LIMITS === "on", fallback: DEFAULT_RATE_LIMIT },
    now: () => new Date(),
    checkMigrated,
    limits: {
      bodyBytes: BODY_LIMIT_BYTES,
      maxGrantDurationMs: config.MAX_GRANT_DURATION,
      dbTimeoutMs: config.DB_TIMEOUT_MS,
      redisTimeoutMs: config.REDIS_TIMEOUT_MS,
      cacheSettledSeconds: config.CACHE_TTL_SECONDS,
      cacheMovingSeconds: config.CACHE_MOVING_TTL_SECONDS,
      retryAfterSeconds: config.RETRY_AFTER_SECONDS,
    },
  });
  const server = Bun.serve(serveOptions(app, { port: config.PORT, hostname: config.HOST }));
  log.info({ port: server.port, host: config.HOST }, "csecbridge-api listening");

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down: finishing in-flight requests");
    await server.stop(false);
    await Promise.allSettled([
      sql.end({ timeout: 5 }),
      ...(sqlRead === sql ? [] : [sqlRead.end({ timeout: 5 })]),
      redis.quit(),
    ]);
    log.flush();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((err: unknown) => {
  console.error("csecbridge-api: fatal:", err);
  process.exit(1);
});
