import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Sql } from "../db/connect.ts";
import { sweepTargets } from "../db/drift.ts";
import type { Logger } from "../logging/logger.ts";
import type { ReconcilerMetrics } from "../metrics/scheduler-metrics.ts";
import { JOB_VERSION, type Job } from "../queue/job.ts";
import { queueKeys } from "../queue/keys.ts";
import { execOrThrow } from "../redis/exec-pipeline.ts";
import type { SchedulerTask } from "../scheduler/task.ts";

/** Set (to anything) to ask for a sweep now: `bun run drift-sweep`, or SET by hand. */
export const DRIFT_REQUEST_KEY = "drift:sweep:requested";
/** Held by the scheduler that sweeps, for one interval: several replicas never sweep together. */
export const DRIFT_LOCK_KEY = "drift:sweep:lock";

export interface DriftSweepDeps {
  sql: Sql;
  redis: Redis;
  log: Logger;
  /** Time between the starts of two sweeps, ms. */
  everyMs: number;
  /** Checks started per second, in all (each is one cloud read): the sweep's share of the API rate. */
  callsPerSecond: number;
  /** How far back revoked grants are looked at again, ms. */
  recentMs: number;
  /** Sweeps started and completed, for /metrics; optional. */
  metrics?: ReconcilerMetrics;
}

/**
 * The drift sweep (docs/revocation.md): every `everyMs`, and when asked, one "check" job per
 * access that has an open obligation of an applied grant, a FAILED revocation, or a revocation in
 * the last `recentMs`. The checks go through the provider queues (workers hold the cloud
 * credentials) at no more than `callsPerSecond`, so the sweep never takes more than that share
 * of a cloud's rate limit, however many accesses there are.
 */
export function driftSweepTask(deps: DriftSweepDeps): SchedulerTask {
  let cursor: string | null = null; // access key the running sweep has reached; null when idle
  let nextStart = Number.NEGATIVE_INFINITY;
  let budget = 0;
  let lastRun = 0;
  let started = 0;
  let enqueued = 0;
  return {
    name: "drift-sweep",
    async run({ now }) {
      const asked = (await deps.redis.getdel(DRIFT_REQUEST_KEY)) !== null;
      if (cursor === null) {
        if (!asked && now < nextStart) return;
        nextStart = now + deps.everyMs;
        const locked = await deps.redis.set(
          DRIFT_LOCK_KEY,
          "1",
          "PX",
          Math.max(1000, deps.everyMs - 1000),
          "NX",
        );
        if (locked !== "OK" && !asked) return;
        cursor = "";
        budget = 1;
        lastRun = now;
        started = now;
        enqueued = 0;
        deps.log.info("drift sweep started");
        deps.metrics?.driftSweep("started");
      }
      budget = Math.min(
        budget + ((now - lastRun) / 1000) * deps.callsPerSecond,
        Math.max(1, deps.callsPerSecond),
      );
      lastRun = now;
      const take = Math.floor(budget);
      if (take < 1) return;
      const targets = await sweepTargets(deps.sql, cursor, deps.recentMs, take);
      if (targets.length > 0) {
        const p = deps.redis.pipeline();
        for (const t of targets) {
          const job: Job = {
            v: JOB_VERSION,
            id: `check-${randomUUID()}`,
            correlation_id: t.correlation_id,
            provider: t.cloud_provider,
            kind: "check",
            attempt: 0,
            enqueued_at: now,
            request: null,
          };
          p.lpush(queueKeys(t.cloud_provider).queue, JSON.stringify(job));
        }
        await execOrThrow(p);
        budget -= targets.length;
        enqueued += targets.length;
        cursor = targets[targets.length - 1]?.access_key ?? cursor;
      }
      if (targets.length < take) {
        deps.log.info({ checks: enqueued, duration_ms: now - started }, "drift sweep done");
        deps.metrics?.driftSweep("completed", enqueued);
        cursor = null;
      }
    },
  };
}
