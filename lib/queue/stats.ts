import type { Redis } from "ioredis";
import { queueKeys } from "./keys.ts";
import { redisTimeMs } from "./redis-time.ts";

export interface QueueStats {
  /** Jobs waiting in `queue:<p>`. */
  depth: number;
  /** Jobs held by live workers (sum of their processing lists). */
  in_flight: number;
  /** Retries waiting for their backoff. */
  delayed: number;
  /** Jobs in the dead list. */
  dead: number;
  /** Live workers: one per concurrent claim (a worker id is `<process>:<slot>`). */
  workers: number;
  /** Live consumer processes. */
  processes: number;
}

/** Queue metrics of one provider; "live" means a heartbeat within `heartbeatTimeoutMs` (Redis clock). */
export async function queueStats(
  redis: Redis,
  provider: string,
  heartbeatTimeoutMs = 10_000,
): Promise<QueueStats> {
  const keys = queueKeys(provider);
  const cutoff = (await redisTimeMs(redis)) - heartbeatTimeoutMs;
  const [depth, delayed, dead, live] = await Promise.all([
    redis.llen(keys.queue),
    redis.zcard(keys.delayed),
    redis.llen(keys.dead),
    redis.zrangebyscore(keys.workers, `(${cutoff}`, "+inf"),
  ]);
  const held = await Promise.all(live.map((id) => redis.llen(keys.processing(id))));
  return {
    depth,
    in_flight: held.reduce((a, b) => a + b, 0),
    delayed,
    dead,
    workers: live.length,
    processes: new Set(live.map(processOf)).size,
  };
}

function processOf(workerId: string): string {
  const i = workerId.lastIndexOf(":");
  // Stryker disable next-line ConditionalExpression,EqualityOperator: worker ids are always <process>:<slot> with a non-empty process id
  return i < 0 ? workerId : workerId.slice(0, i);
}
