import type { Redis } from "ioredis";
import { DependencyUnavailableError } from "../errors/http-errors.ts";

type Dependency = "postgres" | "redis";

const SQLSTATE = /^[0-9A-Z]{5}$/;
// SQLSTATE classes that mean "the server cannot serve now", not "this query is wrong":
// 08 connection exception, 53 insufficient resources, 57 operator intervention (incl. statement
// timeout 57014 and admin shutdown 57P01), 58 system error.
const UNAVAILABLE_CLASSES = new Set(["08", "53", "57", "58"]);

/** True when a PostgreSQL error says the server is unreachable or overloaded. */
export function isPostgresUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return true; // socket-level failures carry no SQLSTATE
  if (!SQLSTATE.test(code)) return true; // CONNECT_TIMEOUT, CONNECTION_CLOSED, ECONNREFUSED, ...
  return UNAVAILABLE_CLASSES.has(code.slice(0, 2));
}

/**
 * Runs one dependency call with a hard deadline, turning "down", "slow" and "overloaded" into
 * DependencyUnavailableError (503 + Retry-After) so no HTTP request hangs on a dead connection.
 */
export async function guarded<T>(dep: Dependency, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new DependencyUnavailableError(dep, { cause: new Error(`${dep} call exceeded ${timeoutMs} ms`) }),
        ),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([fn(), deadline]);
  } catch (err) {
    if (err instanceof DependencyUnavailableError) throw err;
    if (dep === "redis" || isPostgresUnavailable(err))
      throw new DependencyUnavailableError(dep, { cause: err });
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `guarded("redis", …)` for a call on `redis`, without a timer of its own when the connection's
 * own command timeout (ioredis `commandTimeout`, set from REDIS_TIMEOUT_MS by every service)
 * already ends the call within `timeoutMs`: a hot-path request then costs no setTimeout and no
 * race. A connection without one (or with a longer one) gets guarded()'s deadline.
 */
export async function guardedRedis<T>(redis: Redis, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const own = redis.options.commandTimeout;
  if (own === undefined || own > timeoutMs) return await guarded("redis", timeoutMs, fn);
  try {
    return await fn();
  } catch (err) {
    throw new DependencyUnavailableError("redis", { cause: err });
  }
}
