import type { Redis } from "ioredis";
import type { Logger } from "../logging/logger.ts";
import { promoteRetries, promoteRevocations } from "../queue/promote.ts";
import { type ReapedWorker, reapDeadWorkers, reapOrphans } from "../queue/reap.ts";
import type { SchedulerTask } from "./task.ts";

export interface QueueTaskOptions {
  redis: Redis;
  log: Logger;
  /** Every provider a job can name (revocations are routed by it). */
  providers: readonly string[];
  heartbeatTimeoutMs: number;
  maxRecoveries: number;
  /** Most members moved per script call; a full batch is followed at once by another. */
  batchLimit?: number;
  /** How often to look for processing lists of unlisted workers (a SCAN), ms. */
  orphanSweepEveryMs?: number;
  /**
   * A key whose value changes when Redis loses its data (the reconciler's epoch). Then every
   * worker drops out of `queue:<p>:workers` until its next heartbeat, and one that dies before it
   * leaves its jobs in an unlisted processing list: those are swept one heartbeat timeout later
   * (live workers are listed again by then) instead of at the next periodic sweep.
   */
  redisLifeKey?: string;
}

/** Promote due retries, promote due revocations, reap dead workers: the queue's share of a tick. */
export function queueTasks(opts: QueueTaskOptions): SchedulerTask[] {
  const limit = opts.batchLimit ?? 500;
  const { redis, log } = opts;
  const reapOpts = { heartbeatTimeoutMs: opts.heartbeatTimeoutMs, maxRecoveries: opts.maxRecoveries };
  let lastSweep = Number.NEGATIVE_INFINITY;
  let life: string | null | undefined; // the redisLifeKey value last seen; undefined before the first look
  let sweepAt = Number.POSITIVE_INFINITY; // an orphan sweep owed after Redis lost its data

  return [
    {
      name: "promote-retries",
      async run({ signal }) {
        for (const provider of opts.providers) {
          for (let more = true; more && !signal.aborted; ) {
            const moved = await promoteRetries(redis, provider, limit);
            for (const job of moved)
              log.info({ ...jobFields(job), provider }, "retry due: back in the queue");
            more = moved.length === limit;
          }
        }
      },
    },
    {
      name: "promote-revocations",
      async run({ now, signal }) {
        for (let more = true; more && !signal.aborted; ) {
          const moved = await promoteRevocations(redis, opts.providers, now, limit);
          for (const { job, provider } of moved) {
            if (provider) log.info({ ...jobFields(job), provider }, "revocation due: queued");
            else
              log.error(
                { ...jobFields(job) },
                "due revocation names no known provider: moved to schedule:revocations:dead",
              );
          }
          more = moved.length === limit;
        }
      },
    },
    {
      name: "reap-dead-workers",
      async run({ now }) {
        if (opts.redisLifeKey !== undefined) {
          const seen = await redis.get(opts.redisLifeKey);
          if (life !== undefined && seen !== life) sweepAt = Math.min(sweepAt, now + opts.heartbeatTimeoutMs);
          life = seen;
        }
        const sweep = now - lastSweep >= (opts.orphanSweepEveryMs ?? 30_000) || now >= sweepAt;
        if (sweep) {
          lastSweep = now;
          sweepAt = Number.POSITIVE_INFINITY;
        }
        for (const provider of opts.providers) {
          const reaped = await reapDeadWorkers(redis, provider, reapOpts);
          if (sweep) reaped.push(...(await reapOrphans(redis, provider, reapOpts)));
          for (const w of reaped) logReaped(log, provider, w);
        }
      },
    },
  ];
}

function logReaped(log: Logger, provider: string, w: ReapedWorker): void {
  log.warn(
    { provider, worker_id: w.workerId, jobs: w.requeued.length + w.dead.length },
    "worker dead: its jobs go back",
  );
  for (const job of w.requeued)
    log.warn({ ...jobFields(job), provider, worker_id: w.workerId }, "job of a dead worker requeued");
  for (const job of w.dead) {
    log.error(
      { ...jobFields(job), provider, worker_id: w.workerId },
      "poison job: its workers kept dying; dead-lettered",
    );
  }
}

/** Ids of a job for a log line; never the request itself (it is untrusted and may be large). */
function jobFields(raw: string): { job_id?: string; correlation_id?: string } {
  try {
    const v: unknown = JSON.parse(raw);
    if (v && typeof v === "object") {
      const { id, correlation_id } = v as Record<string, unknown>;
      return {
        ...(typeof id === "string" ? { job_id: id.slice(0, 64) } : {}),
        ...(typeof correlation_id === "string" ? { correlation_id: correlation_id.slice(0, 64) } : {}),
      };
    }
  } catch {
    // Not JSON: the consumer will dead-letter it; nothing to name here.
  }
  return {};
}
