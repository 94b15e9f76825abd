import { answerStandardFlags } from "../../lib/cli/standard-flags.ts";
import { ConfigError } from "../../lib/config/env.ts";
import { createSql } from "../../lib/db/connect.ts";
import { createDbClock } from "../../lib/db/db-clock.ts";
import { createLogger } from "../../lib/logging/logger.ts";
import { dependencyMetrics } from "../../lib/metrics/dependency-metrics.ts";
import { startOpsServerOrWarn } from "../../lib/metrics/ops-server.ts";
import { createRegistry } from "../../lib/metrics/registry.ts";
import { schedulerMetrics } from "../../lib/metrics/scheduler-metrics.ts";
import { stateGaugesTask } from "../../lib/metrics/state-gauges.ts";
import { checkRedisPolicy } from "../../lib/queue/check-redis-policy.ts";
import { jobSchema } from "../../lib/queue/job.ts";
import { waitReady } from "../../lib/queue/wait-ready.ts";
import { DRIFT_REQUEST_KEY, driftSweepTask } from "../../lib/reconciler/drift-sweep.ts";
import { reconcileTask } from "../../lib/reconciler/reconcile-task.ts";
import { EPOCH_KEY } from "../../lib/reconciler/redis-epoch.ts";
import { createRedis, redisTarget } from "../../lib/redis/connect.ts";
import { runScheduler } from "../../lib/scheduler/run-scheduler.ts";
import { VERSION } from "../../lib/version.ts";
import { WEBHOOK_QUEUE } from "../../lib/webhooks/delivery-job.ts";
import { loadSchedulerConfig, type SchedulerConfig, schedulerEnv } from "./config.ts";

const SERVICE = "csecbridge-scheduler";

async function main(): Promise<number> {
  const program = {
    name: SERVICE,
    summary:
      "promotes due revocations and retries, returns dead workers' jobs, reconciles Redis from PostgreSQL, sweeps for drift",
    usage: [SERVICE, `${SERVICE} --sweep-now   ask the running schedulers for a drift sweep, then exit`],
    env: schedulerEnv,
  };
  if (answerStandardFlags(process.argv, program)) return 0;
  let config: SchedulerConfig;
  try {
    config = loadSchedulerConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${SERVICE}: ${err.message}`);
      return 2;
    }
    throw err;
  }
  if (process.argv.includes("--sweep-now")) return await askForSweep(config);
  const log = createLogger({ service: SERVICE, level: config.LOG_LEVEL, version: VERSION });
  // Installed first, so a signal during start-up is a clean stop too.
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  const redis = createRedis(redisTarget(config), {
    keyPrefix: config.REDIS_KEY_PREFIX,
    commandTimeoutMs: config.REDIS_TIMEOUT_MS,
    name: SERVICE,
  });
  // Redis down at start is not fatal: the tasks fail, log, and succeed once it is back.
  redis.once("ready", () => void checkRedisPolicy(redis, log));
  redis.on("error", () => {}); // failures surface (and are logged) through the tasks
  await waitReady(redis, AbortSignal.timeout(config.REDIS_TIMEOUT_MS));

  // PostgreSQL down is not fatal either: the reconcile task fails and logs until it answers.
  const sql = createSql(config.DATABASE_URL, {
    max: 2,
    timeoutMs: config.DB_TIMEOUT_MS,
    applicationName: SERVICE,
  });
  // Due revocations are promoted by the database's clock, the one their times were set by.
  const clock = createDbClock(sql);
  const registry = createRegistry(SERVICE, VERSION);
  const metrics = schedulerMetrics(registry);
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
  await clock
    .sync()
    .catch((err: unknown) => log.warn({ err }, "database clock not read at start; using ours until it is"));
  const scheduler = runScheduler({
    redis,
    log,
    clock: clock.now,
    intervalMs: config.SCHEDULER_INTERVAL_MS,
    // queue:webhooks has the provider queues' semantics: its retries and dead workers are ours too.
    providers: [...jobSchema.shape.provider.options, WEBHOOK_QUEUE],
    heartbeatTimeoutMs: config.WORKER_HEARTBEAT_TIMEOUT_MS,
    maxRecoveries: config.QUEUE_MAX_RECOVERIES,
    batchLimit: config.SCHEDULER_BATCH_LIMIT,
    orphanSweepEveryMs: config.SCHEDULER_ORPHAN_SWEEP_MS,
    instrument: metrics.instrument,
    redisLifeKey: EPOCH_KEY,
    extraTasks: [
      reconcileTask(
        {
          sql,
          redis,
          log,
          clock,
          staleAfterMs: config.RECONCILE_STALE_AFTER_MS,
          overdueAfterMs: config.RECONCILE_OVERDUE_AFTER_MS,
          queueLeaseMs: config.RECONCILE_QUEUE_LEASE_MS,
          batch: config.SCHEDULER_BATCH_LIMIT,
          metrics,
        },
        config.RECONCILE_INTERVAL_MS,
      ),
      driftSweepTask({
        sql,
        redis,
        log,
        everyMs: config.DRIFT_SWEEP_INTERVAL_MS,
        callsPerSecond: config.DRIFT_SWEEP_CALLS_PER_SECOND,
        recentMs: config.DRIFT_SWEEP_RECENT_MS,
        metrics,
      }),
      stateGaugesTask({
        sql,
        redis,
        registry,
        providers: jobSchema.shape.provider.options,
        everyMs: config.METRICS_INTERVAL_MS,
        lateAfterMs: config.REVOCATION_LATE_AFTER_MS,
        heartbeatTimeoutMs: config.WORKER_HEARTBEAT_TIMEOUT_MS,
      }),
    ],
  });
  log.info(
    { interval_ms: config.SCHEDULER_INTERVAL_MS, metrics_port: ops?.port ?? null },
    "scheduler started",
  );

  const signal = await signalled;
  // Whatever hangs (a dead stdout, a stuck socket), the process still ends.
  setTimeout(() => process.exit(1), config.SHUTDOWN_TIMEOUT_MS + 2000).unref();
  log.info({ signal }, "stopping");
  const stopped = await Promise.race([
    scheduler.stop().then(() => true),
    Bun.sleep(config.SHUTDOWN_TIMEOUT_MS).then(() => false),
  ]);
  await Promise.allSettled([
    redis.quit().catch(() => redis.disconnect()),
    sql.end({ timeout: 5 }),
    ops?.stop(),
  ]);
  log.info({ clean: stopped }, "scheduler stopped");
  log.flush();
  return stopped ? 0 : 1;
}

/** `--sweep-now` (`bun run drift-sweep`): asks the running schedulers for a drift sweep, and exits. */
async function askForSweep(config: SchedulerConfig): Promise<number> {
  const redis = createRedis(redisTarget(config), {
    keyPrefix: config.REDIS_KEY_PREFIX,
    commandTimeoutMs: config.REDIS_TIMEOUT_MS,
    name: `${SERVICE}-sweep-now`,
  });
  try {
    await waitReady(redis, AbortSignal.timeout(config.REDIS_TIMEOUT_MS));
    await redis.set(DRIFT_REQUEST_KEY, new Date().toISOString());
    console.log(`${SERVICE}: drift sweep requested; a scheduler starts it within one tick`);
    return 0;
  } catch (err) {
    console.error(`${SERVICE}: could not reach Redis to ask for a sweep: ${(err as Error).message}`);
    return 1;
  } finally {
    redis.disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`${SERVICE}: failed:`, err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
