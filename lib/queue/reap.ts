import type { Redis } from "ioredis";
import { asStrings, queueScripts, ScriptCode } from "./commands.ts";
import { queueKeys } from "./keys.ts";
import { redisTimeMs } from "./redis-time.ts";

export interface ReapOptions {
  /** A worker whose last heartbeat is older than this is dead, ms. */
  heartbeatTimeoutMs: number;
  /** Times one job may be returned to the queue after its worker died; the next death dead-letters it. */
  maxRecoveries: number;
  /** How long recovery counts are kept after the last recovery, ms. */
  recoveryMemoryMs?: number;
  /** Most dead workers handled per call. */
  limit?: number;
}

export interface ReapedWorker {
  workerId: string;
  /** Jobs returned to the consuming end of the queue. */
  requeued: string[];
  /** Jobs sent to the dead list as poison (their worker died too often while holding them). */
  dead: string[];
}

const DAY_MS = 24 * 60 * 60_000;

/**
 * Finds workers of `queue:<p>` whose heartbeat is stale and, one script per worker, returns their
 * jobs to the queue and forgets them. The script re-checks staleness, so a worker that came back
 * in between is left alone, and a worker reaped by another scheduler is not reaped twice.
 */
export async function reapDeadWorkers(
  redis: Redis,
  provider: string,
  opts: ReapOptions,
): Promise<ReapedWorker[]> {
  const keys = queueKeys(provider);
  // Stryker disable next-line ArithmeticOperator: live workers become candidates too, but requeue-worker.lua re-checks staleness on the Redis clock and refuses them (tested: "reaper")
  const cutoff = (await redisTimeMs(redis)) - opts.heartbeatTimeoutMs;
  // Stryker disable next-line StringLiteral: Redis reads an empty bound as 0, and heartbeats are milliseconds since 1970
  const stale = await redis.zrangebyscore(keys.workers, "-inf", cutoff, "LIMIT", 0, opts.limit ?? 100);
  const out: ReapedWorker[] = [];
  for (const workerId of stale) {
    const reaped = await requeueWorker(redis, provider, workerId, opts, "dead");
    if (reaped) out.push(reaped);
  }
  return out;
}

/**
 * Finds processing lists whose worker is not in `queue:<p>:workers` and requeues them. They arise
 * only when a stalled worker was reaped, claimed once more before its next heartbeat re-listed
 * it, and then died: rare, so this SCAN runs seldom (its cost grows with the keyspace).
 */
export async function reapOrphans(
  redis: Redis,
  provider: string,
  opts: ReapOptions,
): Promise<ReapedWorker[]> {
  const keys = queueKeys(provider);
  // Stryker disable next-line StringLiteral: ioredis defaults keyPrefix to "", so the fallback never applies
  const prefix = redis.options.keyPrefix ?? "";
  // SCAN patterns are not prefixed by ioredis; the keys it returns carry the prefix.
  const pattern = `${prefix}${keys.processing("*")}`;
  const listed = new Set(await redis.zrange(keys.workers, 0, "-1"));
  const out: ReapedWorker[] = [];
  // Stryker disable next-line StringLiteral: Redis reads an empty SCAN cursor as 0, the start
  let cursor = "0";
  do {
    const [next, found] = await redis.scan(cursor, "MATCH", pattern, "COUNT", "1000");
    cursor = next;
    for (const key of found) {
      const workerId = key.slice(prefix.length + keys.processing("").length);
      // Stryker disable next-line ConditionalExpression: requeue-worker.lua refuses a listed worker in orphan mode itself (tested); the skip only saves a call
      if (listed.has(workerId)) continue;
      const reaped = await requeueWorker(redis, provider, workerId, opts, "orphan");
      if (reaped) out.push(reaped);
    }
  } while (cursor !== "0");
  return out;
}

async function requeueWorker(
  redis: Redis,
  provider: string,
  workerId: string,
  opts: ReapOptions,
  mode: "dead" | "orphan",
): Promise<ReapedWorker | null> {
  const keys = queueKeys(provider);
  const reply = await queueScripts(redis).qRequeueWorker(
    keys.workers,
    keys.processing(workerId),
    keys.queue,
    keys.dead,
    keys.recoveries,
    workerId,
    opts.heartbeatTimeoutMs,
    opts.maxRecoveries,
    mode,
    opts.recoveryMemoryMs ?? DAY_MS,
  );
  if (reply === ScriptCode.WorkerAlive) return null;
  // Stryker disable next-line ConditionalExpression,StringLiteral: requeue-worker.lua never returns another shape; only a broken script reaches it
  if (!Array.isArray(reply) || reply.length !== 2) throw new Error("requeue-worker: unexpected reply");
  return { workerId, requeued: asStrings(reply[0]), dead: asStrings(reply[1]) };
}
