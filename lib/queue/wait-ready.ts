import type { Redis } from "ioredis";

/**
 * Resolves when the connection can take commands (connections here have no offline queue, so a
 * command sent earlier fails at once), or when `signal` aborts. Never rejects: ioredis keeps
 * reconnecting in the background.
 */
export function waitReady(redis: Redis, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (redis.status === "ready" || signal.aborted) return resolve();
    const done = () => {
      redis.off("ready", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    redis.on("ready", done);
    // Stryker disable next-line ObjectLiteral,BooleanLiteral: an AbortSignal fires "abort" once, and done removes the listener itself
    signal.addEventListener("abort", done, { once: true });
  });
}
