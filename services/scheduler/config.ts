import { z } from "zod";
import { baseEnv, databaseEnv, parseEnv, redisEnv } from "../../lib/config/env.ts";
import { queueReaperEnv } from "../../lib/queue/env.ts";

export const schedulerEnv = {
  ...baseEnv,
  ...databaseEnv,
  ...redisEnv,
  ...queueReaperEnv,
  /** How often the reconciler rebuilds Redis from PostgreSQL (it scans active grants). */
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(10_000),
  /** A PENDING/PROCESSING row unchanged this long has its job queued again. */
  RECONCILE_STALE_AFTER_MS: z.coerce.number().int().min(500).max(86_400_000).default(60_000),
  /** Time between ticks; due revocations and retries move within about this much of their time. */
  SCHEDULER_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  /** Most jobs moved by one script call (bounds how long Redis is held). */
  SCHEDULER_BATCH_LIMIT: z.coerce.number().int().min(1).max(10_000).default(500),
  /** How often to SCAN for processing lists of unlisted workers. */
  SCHEDULER_ORPHAN_SWEEP_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
  /** How long a stop may take before the process exits anyway. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
};

export type SchedulerConfig = ReturnType<typeof loadSchedulerConfig>;

export const loadSchedulerConfig = (env: Record<string, string | undefined>) => parseEnv(schedulerEnv, env);
