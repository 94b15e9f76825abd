import type { Redis } from "ioredis";
import type { Sql } from "../db/connect.ts";
import type { Logger } from "../logging/logger.ts";
import type { WorkerMetrics } from "../metrics/worker-metrics.ts";
import type { ProviderClient } from "../providers/types.ts";
import type { BackoffOptions } from "../queue/backoff.ts";

export interface WorkerDeps {
  sql: Sql;
  redis: Redis;
  provider: ProviderClient;
  log: Logger;
  /** Same number the queue uses: attempt (0-based) + 1 reaching it means this is a grant's last try. */
  maxAttempts: number;
  /** Backoff between a grant's attempts (the queue's). */
  backoff: BackoffOptions;
  /** Backoff between a revocation's attempts: they retry without end, so this one is capped low. */
  revocationBackoff: BackoffOptions;
  /**
   * How long a job chain holds a row's lease per attempt (longer than one attempt can take): a
   * duplicate job of another chain does nothing meanwhile, and the reconciler waits it out.
   */
  leaseMs: number;
  /**
   * Handlings of one request, across every job that ever carried it, after which it is FAILED
   * (`attempts_exhausted`): what ends a job that crashes its worker every time.
   */
  maxHandlings: number;
  /**
   * Where the cloud cannot say who applied an access (AWS), how long after our revocation the drift
   * sweep still takes access it finds for ours and removes it again; later, it is only reported.
   */
  driftRevokeAgainMs: number;
  /** Revocation and drift-check outcomes for /metrics; optional where tests build deps. */
  metrics?: WorkerMetrics;
}
