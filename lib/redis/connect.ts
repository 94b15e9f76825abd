import { Redis } from "ioredis";

export type { Redis };

export interface RedisOptions {
  keyPrefix?: string;
  /** Per-command bound; 0 disables it (blocking connections set their own). */
  commandTimeoutMs?: number;
  /** Connection name shown by CLIENT LIST. */
  name?: string;
}

/**
 * A connection that fails fast while Redis is unreachable (no offline queue, one try per
 * command) and keeps reconnecting in the background, so callers can answer 503 at once and
 * recover by themselves when Redis returns.
 */
export function createRedis(url: string, opts: RedisOptions = {}): Redis {
  return new Redis(url, {
    keyPrefix: opts.keyPrefix ?? "",
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    ...(opts.commandTimeoutMs ? { commandTimeout: opts.commandTimeoutMs } : {}),
    ...(opts.name ? { connectionName: opts.name } : {}),
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    // A dropped connection reconnects; READONLY after a failover too.
    reconnectOnError: (err) => err.message.startsWith("READONLY"),
  });
}

/** True when the connection can take a command now. */
export function isRedisReady(redis: Redis): boolean {
  return redis.status === "ready";
}
