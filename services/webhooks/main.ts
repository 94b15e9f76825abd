import { readFileSync } from "node:fs";
import { answerStandardFlags } from "../../lib/cli/standard-flags.ts";
import { ConfigError } from "../../lib/config/env.ts";
import { createSql } from "../../lib/db/connect.ts";
import { assertMigrated, UnmigratedDatabaseError } from "../../lib/db/migrate.ts";
import { createLogger } from "../../lib/logging/logger.ts";
import { dependencyMetrics } from "../../lib/metrics/dependency-metrics.ts";
import { startOpsServerOrWarn } from "../../lib/metrics/ops-server.ts";
import { createRegistry } from "../../lib/metrics/registry.ts";
import { loadPolicyFile } from "../../lib/policy/load.ts";
import { checkRedisPolicy } from "../../lib/queue/check-redis-policy.ts";
import { startConsumer } from "../../lib/queue/consumer.ts";
import { createRedis } from "../../lib/redis/connect.ts";
import { runTasks } from "../../lib/scheduler/run-scheduler.ts";
import { VERSION } from "../../lib/version.ts";
import { handleDeliveryJob } from "../../lib/webhooks/deliver.ts";
import { type DeliveryJob, parseDeliveryJob, WEBHOOK_QUEUE } from "../../lib/webhooks/delivery-job.ts";
import { webhookDirectory } from "../../lib/webhooks/directory.ts";
import { dispatchTask, expiryNoticeTask, promoteWebhookRetriesTask } from "../../lib/webhooks/dispatch.ts";
import { migrations } from "../../migrations/index.ts";
import { loadSigners, loadWebhooksConfig, type WebhooksConfig, webhooksEnv } from "./config.ts";

const SERVICE = "csecbridge-webhooks";

async function main(): Promise<number> {
  const program = {
    name: SERVICE,
    summary:
      "signed callbacks: dispatches the PostgreSQL outbox onto queue:webhooks and delivers it to the callers' endpoints",
    usage: [SERVICE],
    env: webhooksEnv,
  };
  if (answerStandardFlags(process.argv, program)) return 0;
  let config: WebhooksConfig;
  let signers: ReturnType<typeof loadSigners>;
  let directory: ReturnType<typeof webhookDirectory>;
  try {
    config = loadWebhooksConfig(process.env);
    const policy = config.POLICY_FILE ? await loadPolicyFile(config.POLICY_FILE) : null;
    directory = webhookDirectory(policy);
    signers = loadSigners(directory, process.env);
  } catch (err) {
    console.error(`${SERVICE}: ${err instanceof ConfigError ? err.message : (err as Error).message}`);
    return 2;
  }
  const log = createLogger({ service: SERVICE, level: config.LOG_LEVEL, version: VERSION });
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  log.info(
    {
      clients: Object.fromEntries(
        [...directory].map(([c, w]) => [c, { endpoints: w.endpoints.length, secrets: w.secretEnvs.length }]),
      ),
    },
    directory.size > 0
      ? "webhook endpoints loaded"
      : "no client has webhooks: events are recorded, nothing is sent",
  );
  if (config.allowPrivate) {
    log.warn(
      { production: config.NODE_ENV === "production" },
      "WEBHOOKS_ALLOW_PRIVATE=1: endpoints on loopback and private addresses are allowed (metadata addresses never are)",
    );
  }

  // The dispatcher's pool commits durably: a delivery row, once its job may be sent, must not be
  // lost, or a re-dispatch would send the event again under a new webhook-id.
  const sql = createSql(config.DATABASE_URL, {
    max: 3,
    timeoutMs: config.DB_TIMEOUT_MS,
    applicationName: SERVICE,
  });
  // The delivery bookkeeping (lease, attempts, delivered) commits without waiting for the disk: a
  // write lost in a PostgreSQL crash means one more send under the same webhook-id, which
  // at-least-once allows; not waiting saves an fsync per attempt that the provider workers'
  // commits would queue behind (docs/webhooks.md, "Performance").
  const deliverySql = createSql(config.DATABASE_URL, {
    max: Math.min(config.WEBHOOKS_CONCURRENCY + 2, 30),
    timeoutMs: config.DB_TIMEOUT_MS,
    applicationName: `${SERVICE}-deliveries`,
    synchronousCommit: "off",
  });
  try {
    await assertMigrated(sql, migrations);
  } catch (err) {
    if (err instanceof UnmigratedDatabaseError) {
      console.error(`${SERVICE}: ${err.message}`);
      return 2;
    }
    log.warn({ err }, "PostgreSQL unreachable at start; retrying until it answers");
  }
  const redis = createRedis(config.REDIS_URL, {
    keyPrefix: config.REDIS_KEY_PREFIX,
    commandTimeoutMs: config.REDIS_TIMEOUT_MS,
    name: SERVICE,
  });
  redis.on("error", () => {}); // failures surface through the tasks and jobs, which log them
  redis.once("ready", () => void checkRedisPolicy(redis, log));

  const consumer = startConsumer<DeliveryJob>({
    provider: WEBHOOK_QUEUE,
    concurrency: config.WEBHOOKS_CONCURRENCY,
    connect: ({ name, commandTimeoutMs }) =>
      createRedis(config.REDIS_URL, { keyPrefix: config.REDIS_KEY_PREFIX, commandTimeoutMs, name }),
    parse: parseDeliveryJob,
    handler: (job) =>
      handleDeliveryJob(
        {
          sql: deliverySql,
          redis,
          log,
          directory,
          signers,
          timeoutMs: config.WEBHOOKS_TIMEOUT_MS,
          maxResponseBytes: config.WEBHOOKS_MAX_RESPONSE_BYTES,
          allowPrivate: config.allowPrivate,
          ...(config.WEBHOOKS_CA_FILE ? { ca: readFileSync(config.WEBHOOKS_CA_FILE, "utf8") } : {}),
          leaseMs: config.leaseMs,
          horizonMs: config.WEBHOOKS_RETRY_HORIZON,
          backoff: { baseMs: config.WEBHOOKS_BACKOFF_BASE_MS, maxMs: config.WEBHOOKS_BACKOFF_MAX_MS },
          slotWaitMs: config.WEBHOOKS_SLOT_WAIT_MS,
        },
        job,
      ),
    log,
    blockTimeoutMs: config.QUEUE_BLOCK_TIMEOUT_MS,
    heartbeatIntervalMs: config.WORKER_HEARTBEAT_INTERVAL_MS,
    // Attempts are counted in PostgreSQL against the retry horizon; the handler decides every retry.
    maxAttempts: 1_000_000,
  });
  const tasks = runTasks(
    [
      dispatchTask({
        sql,
        redis,
        log,
        directory,
        batch: config.WEBHOOKS_DISPATCH_BATCH,
        queueLeaseMs: config.queueLeaseMs,
      }),
      expiryNoticeTask({ sql, log, directory }, config.WEBHOOKS_EXPIRY_CHECK_MS),
      promoteWebhookRetriesTask(redis, config.WEBHOOKS_DISPATCH_BATCH),
    ],
    { log, clock: Date.now, intervalMs: config.WEBHOOKS_DISPATCH_INTERVAL_MS },
  );
  const registry = createRegistry(SERVICE, VERSION);
  const probe = dependencyMetrics(registry, { sql, redis });
  const ops = startOpsServerOrWarn(
    {
      hostname: config.METRICS_HOST,
      port: config.METRICS_PORT,
      registry,
      details: async () => ({ dependencies: await probe() }),
    },
    log,
  );
  log.info(
    { concurrency: config.WEBHOOKS_CONCURRENCY, metrics_port: ops?.port ?? null },
    "webhooks service started",
  );

  const signal = await signalled;
  setTimeout(() => process.exit(1), config.SHUTDOWN_DEADLINE_MS + 5000).unref();
  log.info({ signal }, "stopping: no new deliveries, finishing in-flight ones");
  await tasks.stop();
  const result = await consumer.stop(config.SHUTDOWN_DEADLINE_MS);
  await Promise.allSettled([
    sql.end({ timeout: 5 }),
    deliverySql.end({ timeout: 5 }),
    redis.quit(),
    ops?.stop(),
  ]);
  log.info(result, "webhooks service stopped");
  log.flush();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`${SERVICE}: failed:`, err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
