import { answerStandardFlags } from "../../lib/cli/standard-flags.ts";
import { ConfigError } from "../../lib/config/env.ts";
import { createSql } from "../../lib/db/connect.ts";
import { assertMigrated, UnmigratedDatabaseError } from "../../lib/db/migrate.ts";
import { createLogger } from "../../lib/logging/logger.ts";
import { callBudgetMetrics } from "../../lib/metrics/call-budget-metrics.ts";
import { instrumentProvider } from "../../lib/metrics/cloud-metrics.ts";
import { dependencyMetrics } from "../../lib/metrics/dependency-metrics.ts";
import { jobMetrics } from "../../lib/metrics/job-metrics.ts";
import { startOpsServerOrWarn } from "../../lib/metrics/ops-server.ts";
import { createRegistry } from "../../lib/metrics/registry.ts";
import { workerMetrics } from "../../lib/metrics/worker-metrics.ts";
import { checkRedisPolicy } from "../../lib/queue/check-redis-policy.ts";
import { startConsumer } from "../../lib/queue/consumer.ts";
import { createRedis, redisTarget } from "../../lib/redis/connect.ts";
import { VERSION } from "../../lib/version.ts";
import { handleRequestJob, type WorkerDeps } from "../../lib/worker/handle-request-job.ts";
import { migrations } from "../../migrations/index.ts";
import { loadWorkerConfig, type WorkerConfig, workerEnv } from "./config.ts";
import { buildProvider } from "./providers.ts";

async function main(): Promise<number> {
  const program = {
    name: "csecbridge-worker",
    summary: "carries out the jobs of queue:<provider> against one cloud (AWS IAM or Azure RBAC)",
    usage: ["csecbridge-worker --provider aws|azure"],
    env: workerEnv,
  };
  if (answerStandardFlags(process.argv, program)) return 0;
  let config: WorkerConfig;
  try {
    config = loadWorkerConfig(process.env, process.argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`csecbridge-worker: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const service = `csecbridge-${config.provider}-worker`;
  const log = createLogger({ service, level: config.LOG_LEVEL, version: VERSION });
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });

  // Each concurrent slot may hold a transaction across its cloud call, plus a few for the rest.
  const sql = createSql(config.DATABASE_URL, {
    max: config.QUEUE_CONCURRENCY + 2,
    timeoutMs: Math.max(config.DB_TIMEOUT_MS, config.CLOUD_CALL_TIMEOUT_MS + 5000),
    applicationName: service,
  });
  try {
    await assertMigrated(sql, migrations);
  } catch (err) {
    if (err instanceof UnmigratedDatabaseError) {
      console.error(`${service}: ${err.message}`);
      return 2;
    }
    log.warn({ err }, "PostgreSQL unreachable at start; jobs will retry until it answers");
  }
  const target = redisTarget(config);
  const redis = createRedis(target, {
    keyPrefix: config.REDIS_KEY_PREFIX,
    commandTimeoutMs: config.REDIS_TIMEOUT_MS,
    name: `${service}-cache`,
  });
  redis.on("error", () => {}); // the consumer's own connections log outages
  redis.once("ready", () => void checkRedisPolicy(redis, log));

  const registry = createRegistry(service, VERSION);
  const provider = instrumentProvider(
    buildProvider(config, { redis, log, budgetObserver: callBudgetMetrics(registry, config.provider) }),
    registry,
  );
  const probe = dependencyMetrics(registry, { sql, redis });
  const backoff = { baseMs: config.QUEUE_BACKOFF_BASE_MS, maxMs: config.QUEUE_BACKOFF_MAX_MS };
  const deps: WorkerDeps = {
    sql,
    redis,
    provider,
    log,
    maxAttempts: config.QUEUE_MAX_ATTEMPTS,
    backoff,
    revocationBackoff: { baseMs: config.REVOCATION_BACKOFF_BASE_MS, maxMs: config.REVOCATION_BACKOFF_MAX_MS },
    leaseMs: config.leaseMs,
    maxHandlings: config.WORKER_MAX_HANDLINGS,
    driftRevokeAgainMs: config.DRIFT_REVOKE_AGAIN_MS,
    metrics: workerMetrics(registry, [config.provider]),
  };
  const consumer = startConsumer({
    provider: config.provider,
    concurrency: config.QUEUE_CONCURRENCY,
    connect: ({ name, commandTimeoutMs }) => {
      const c = createRedis(target, { keyPrefix: config.REDIS_KEY_PREFIX, commandTimeoutMs, name });
      c.on("error", () => {});
      return c;
    },
    handler: (job) => handleRequestJob(deps, job),
    log,
    blockTimeoutMs: config.QUEUE_BLOCK_TIMEOUT_MS,
    heartbeatIntervalMs: config.WORKER_HEARTBEAT_INTERVAL_MS,
    maxAttempts: config.QUEUE_MAX_ATTEMPTS,
    backoff,
    observer: jobMetrics(registry, [config.provider]),
  });
  const ops = startOpsServerOrWarn(
    {
      hostname: config.METRICS_HOST,
      port: config.METRICS_PORT,
      registry,
      details: async () => ({ provider: config.provider, dependencies: await probe() }),
    },
    log,
  );
  log.info(
    {
      concurrency: config.QUEUE_CONCURRENCY,
      call_budget: config.callBudget,
      metrics_port: ops?.port ?? null,
      endpoint: config.provider === "aws" ? config.AWS_ENDPOINT_URL_IAM : config.AZURE_ARM_ENDPOINT,
    },
    "worker started",
  );

  const signal = await signalled;
  log.info({ signal }, "stopping: no new claims, finishing in-flight jobs");
  const result = await consumer.stop(config.SHUTDOWN_DEADLINE_MS);
  await Promise.allSettled([sql.end({ timeout: 5 }), redis.quit(), ops?.stop()]);
  log.info(result, "worker stopped");
  log.flush();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error("csecbridge-worker: failed:", err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
