import { z } from "zod";

// Config pieces for processes that use the queue; each service spreads them into its own zod
// schema (lib/config/env.ts parseEnv), so these are read only where the service parses its env.

/** For consumers (the workers). */
export const queueConsumerEnv = {
  QUEUE_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(10),
  /** Bound of one blocking claim: how long a stop may wait for an idle claim at worst. */
  QUEUE_BLOCK_TIMEOUT_MS: z.coerce.number().int().min(50).max(30_000).default(1000),
  /** Tries per job, the first included. */
  QUEUE_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  QUEUE_BACKOFF_BASE_MS: z.coerce.number().int().min(1).max(3_600_000).default(1000),
  QUEUE_BACKOFF_MAX_MS: z.coerce.number().int().min(1).max(86_400_000).default(300_000),
  WORKER_HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
};

/** For the reaper (the scheduler); the timeout must be several heartbeat intervals. */
export const queueReaperEnv = {
  /** A worker silent this long is dead and its jobs go back to the queue. */
  WORKER_HEARTBEAT_TIMEOUT_MS: z.coerce.number().int().min(200).max(600_000).default(10_000),
  /** Times one job may come back after its worker died; the next death dead-letters it (poison job). */
  QUEUE_MAX_RECOVERIES: z.coerce.number().int().min(0).max(100).default(3),
};
