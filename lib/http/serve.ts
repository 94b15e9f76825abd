import type { Env, Hono } from "hono";

/**
 * Bun.serve options for the API. Bun's own body-size limit is set out of the way on purpose: above
 * it Bun answers 413 itself with an empty body before our code runs, and we want our problem+json
 * 413 for every size. That is safe because Bun does not buffer a request body the handler has not
 * asked for, the only body reader (readJsonBody) stops at the API's own limit (64 KiB), and
 * closeOnUnreadBody makes Bun close, not drain, a connection whose large body was left unread.
 * (Bun still answers `Expect: 100-continue` itself before the handler runs; the 401 or 413 that
 * follows closes the connection all the same.)
 */
export function serveOptions<E extends Env>(app: Hono<E>, listen: { port: number; hostname: string }) {
  return {
    port: listen.port,
    hostname: listen.hostname,
    fetch: app.fetch,
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
  };
}
