import { z } from "zod";
import { baseEnv, databaseEnv, metricsEnv, parseEnv, redisEnv } from "../../lib/config/env.ts";
import { queueReaperEnv } from "../../lib/queue/env.ts";

export const schedulerEnv = {
  ...baseEnv,
  ...databaseEnv,
  ...redisEnv,
  ...queueReaperEnv,
  ...metricsEnv,
  /**
   * How often the scheduler refreshes the gauges that need a query (queue depths, open
   * obligations, due and late revocations): their cost is one round per interval, not per scrape.
   */
  METRICS_INTERVAL_MS: z.coerce.number().int().min(1000).max(3_600_000).default(15_000),
  /** An open obligation due longer than this counts as late (csecbridge_revocations_late). */
  REVOCATION_LATE_AFTER_MS: z.coerce.number().int().min(1000).max(86_400_000).default(30_000),
  /** How often the reconciler's periodic pass runs (indexed, bounded: cheap). */
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(2000),
  /** A PENDING/PROCESSING row with no live lease, unchanged this long (× 2^requeues), gets a new job. */
  RECONCILE_STALE_AFTER_MS: z.coerce.number().int().min(500).max(86_400_000).default(30_000),
  /** A revocation due this long ago with no job chain holding it gets a new job. */
  RECONCILE_OVERDUE_AFTER_MS: z.coerce.number().int().min(100).max(3_600_000).default(5000),
  /** How long a job the reconciler queued holds its row before another may be queued for it. */
  RECONCILE_QUEUE_LEASE_MS: z.coerce.number().int().min(1000).max(86_400_000).default(60_000),
  /** Time between two drift sweeps (docs/revocation.md); `bun run drift-sweep` asks for one now. */
  DRIFT_SWEEP_INTERVAL_MS: z.coerce.number().int().min(1000).max(86_400_000).default(300_000),
  /** Cloud reads per second the sweep may use, in all: its share of the providers' rate limits. */
  DRIFT_SWEEP_CALLS_PER_SECOND: z.coerce.number().min(0.01).max(1000).default(2),
  /** Revoked grants are looked at again for this long after their revocation. */
  DRIFT_SWEEP_RECENT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(30 * 86_400_000)
    .default(86_400_000),
  /** Time between ticks; due revocations and retries move within about this much of their time. */
  SCHEDULER_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(500),
  /** Most jobs moved by one script call (bounds how long Redis is held). */
  SCHEDULER_BATCH_LIMIT: z.coerce.number().int().min(1).max(10_000).default(500),
  /** How often to SCAN for processing lists of unlisted workers. */
  SCHEDULER_ORPHAN_SWEEP_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
  /** How long a stop may take before the process exits anyway. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
};

export type SchedulerConfig = ReturnType<typeof loadSchedulerConfig>;

export const loadSchedulerConfig = (env: Record<string, string | undefined>) => parseEnv(schedulerEnv, env);
