import type { MiddlewareHandler } from "hono";
import { PayloadTooLargeError } from "../../errors/http-errors.ts";

/**
 * A declared Content-Length over the limit is a 413 problem on every route, before the body is
 * touched (readJsonBody also stops a streamed body at the limit, for bodies that lie or are chunked).
 * Registered after authentication for /api/v1, so an unauthenticated caller gets its 401 first.
 */
export function declaredBodyLimit(limit: number): MiddlewareHandler {
  return async (c, next) => {
    const declared = c.req.header("content-length");
    if (declared !== undefined && Number(declared) > limit) {
      throw new PayloadTooLargeError(`body is larger than ${limit} bytes`);
    }
    await next();
  };
}

/**
 * Bun keeps a connection alive after an answer by reading (and discarding) whatever of the request
 * body the handler left unread, however large: a caller refused with 401 could still make the
 * server take in gigabytes. So when a request with a large or unknown-length (chunked) body is
 * answered without having been read through — refused, or read only up to the limit — the answer
 * says `Connection: close` and Bun closes instead of draining. Small declared bodies are drained as
 * usual (cheap, and keeps the connection for a well-behaved client that was merely refused).
 */
export function closeOnUnreadBody(limit: number): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const req = c.req.raw;
    const declared = req.headers.get("content-length");
    const unknownLength = declared === null && req.body !== null;
    const large = declared !== null && Number(declared) > limit;
    if ((unknownLength || large) && (c.res.status >= 400 || !req.bodyUsed)) {
      c.res.headers.set("connection", "close");
    }
  };
}
