import { type RedisOptions as IoRedisOptions, Redis } from "ioredis";

export type { Redis };

export interface RedisOptions {
  keyPrefix?: string;
  /** Per-command bound; 0 disables it (blocking connections set their own). */
  commandTimeoutMs?: number;
  /** Connection name shown by CLIENT LIST. */
  name?: string;
  /**
   * Commands issued in the same event-loop turn leave in one socket write (ioredis auto
   * pipelining). Under load a write per command is the largest cost of a busy API process; never
   * for a connection that blocks (BLMOVE), where a queued command would wait behind the block.
   */
  autoPipelining?: boolean;
}

/**
 * Where Redis is: a URL, or a URL plus Redis Sentinel. With sentinels the primary is asked of
 * them (at connect and after every failover) and the URL contributes only the primary's
 * password, user, database number and TLS.
 */
export interface RedisTarget {
  url: string;
  sentinels?: readonly { host: string; port: number }[];
  sentinelName?: string;
  sentinelPassword?: string;
}

/** The target from a process's validated settings (lib/config/env.ts redisEnv). */
export function redisTarget(cfg: {
  REDIS_URL: string;
  REDIS_SENTINELS?: readonly { host: string; port: number }[] | undefined;
  REDIS_SENTINEL_NAME?: string;
  REDIS_SENTINEL_PASSWORD?: string | undefined;
}): RedisTarget {
  return {
    url: cfg.REDIS_URL,
    ...(cfg.REDIS_SENTINELS ? { sentinels: cfg.REDIS_SENTINELS } : {}),
    ...(cfg.REDIS_SENTINEL_NAME ? { sentinelName: cfg.REDIS_SENTINEL_NAME } : {}),
    ...(cfg.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: cfg.REDIS_SENTINEL_PASSWORD } : {}),
  };
}

/** ioredis options for a Sentinel-managed primary, from the URL's credentials and TLS. */
function sentinelOptions(target: RedisTarget): IoRedisOptions {
  const u = new URL(target.url);
  const db = Number(u.pathname.replace(/^\//, "") || "0");
  return {
    sentinels: target.sentinels?.map((s) => ({ host: s.host, port: s.port })) ?? [],
    name: target.sentinelName ?? "mymaster",
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(Number.isInteger(db) && db > 0 ? { db } : {}),
    ...(u.protocol === "rediss:" ? { tls: {}, enableTLSForSentinelMode: true } : {}),
    ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
    // Asking the sentinels again is cheap; a dead one must not stall a reconnect.
    sentinelRetryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
    sentinelReconnectStrategy: () => 1000,
    connectTimeout: 2000,
  };
}

/**
 * A connection that fails fast while Redis is unreachable (no offline queue, one try per
 * command) and keeps reconnecting in the background, so callers can answer 503 at once and
 * recover by themselves when Redis returns (after a Sentinel failover, to the new primary).
 */
export function createRedis(target: string | RedisTarget, opts: RedisOptions = {}): Redis {
  const t: RedisTarget = typeof target === "string" ? { url: target } : target;
  const common: IoRedisOptions = {
    keyPrefix: opts.keyPrefix ?? "",
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    ...(opts.commandTimeoutMs ? { commandTimeout: opts.commandTimeoutMs } : {}),
    ...(opts.name ? { connectionName: opts.name } : {}),
    ...(opts.autoPipelining ? { enableAutoPipelining: true } : {}),
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    // A dropped connection reconnects; READONLY after a failover too (a demoted primary).
    reconnectOnError: (err) => err.message.startsWith("READONLY"),
  };
  if (t.sentinels && t.sentinels.length > 0) return new Redis({ ...sentinelOptions(t), ...common });
  return new Redis(t.url, common);
}

/** True when the connection can take a command now. */
export function isRedisReady(redis: Redis): boolean {
  return redis.status === "ready";
}
