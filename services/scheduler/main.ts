import { ConfigError } from "../../lib/config/env.ts";
import { createSql } from "../../lib/db/connect.ts";
import { createDbClock } from "../../lib/db/db-clock.ts";
import { createLogger } from "../../lib/logging/logger.ts";
import { checkRedisPolicy } from "../../lib/queue/check-redis-policy.ts";
import { jobSchema } from "../../lib/queue/job.ts";
import { waitReady } from "../../lib/queue/wait-ready.ts";
import { driftSweepTask } from "../../lib/reconciler/drift-sweep.ts";
import { reconcileTask } from "../../lib/reconciler/reconcile-task.ts";
import { EPOCH_KEY } from "../../lib/reconciler/redis-epoch.ts";
import { createRedis } from "../../lib/redis/connect.ts";
import { runScheduler } from "../../lib/scheduler/run-scheduler.ts";
import { loadSchedulerConfig, type SchedulerConfig } from "./config.ts";

const SERVICE = "csecbridge-scheduler";

async function main(): Promise<number> {
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
  const log = createLogger({ service: SERVICE, level: config.LOG_LEVEL });
  // Installed first, so a signal during start-up is a clean stop too.
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  const redis = createRedis(config.REDIS_URL, {
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
  await clock
    .sync()
    .catch((err: unknown) => log.warn({ err }, "database clock not read at start; using ours until it is"));
  const scheduler = runScheduler({
    redis,
    log,
    clock: clock.now,
    intervalMs: config.SCHEDULER_INTERVAL_MS,
    providers: jobSchema.shape.provider.options,
    heartbeatTimeoutMs: config.WORKER_HEARTBEAT_TIMEOUT_MS,
    maxRecoveries: config.QUEUE_MAX_RECOVERIES,
    batchLimit: config.SCHEDULER_BATCH_LIMIT,
    orphanSweepEveryMs: config.SCHEDULER_ORPHAN_SWEEP_MS,
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
      }),
    ],
  });
  log.info({ interval_ms: config.SCHEDULER_INTERVAL_MS }, "scheduler started");

  const signal = await signalled;
  // Whatever hangs (a dead stdout, a stuck socket), the process still ends.
  setTimeout(() => process.exit(1), config.SHUTDOWN_TIMEOUT_MS + 2000).unref();
  log.info({ signal }, "stopping");
  const stopped = await Promise.race([
    scheduler.stop().then(() => true),
    Bun.sleep(config.SHUTDOWN_TIMEOUT_MS).then(() => false),
  ]);
  await Promise.allSettled([redis.quit().catch(() => redis.disconnect()), sql.end({ timeout: 5 })]);
  log.info({ clean: stopped }, "scheduler stopped");
  log.flush();
  return stopped ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`${SERVICE}: failed:`, err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
