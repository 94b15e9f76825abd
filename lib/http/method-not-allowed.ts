import type { Env, Hono } from "hono";
import { MethodNotAllowedError } from "../errors/http-errors.ts";

/**
 * Answers 405 with `Allow` for a known path asked with a method it does not serve (a 404 would
 * say the path does not exist). Call it after every route is registered: the methods are read from
 * the app's own route table, so a new route gets its 405s without anyone keeping a list. A GET
 * route also answers HEAD (Hono serves HEAD from GET).
 */
export function answerWrongMethods<E extends Env>(app: Hono<E>): void {
  const byPath = new Map<string, Set<string>>();
  for (const r of app.routes) {
    if (r.method === "ALL") continue; // middleware
    const methods = byPath.get(r.path) ?? new Set<string>();
    methods.add(r.method);
    if (r.method === "GET") methods.add("HEAD");
    byPath.set(r.path, methods);
  }
  for (const [path, methods] of byPath) {
    const allow = [...methods].sort();
    app.all(path, (c) => {
      throw new MethodNotAllowedError(`${c.req.method} is not allowed here; use ${allow.join(", ")}`, allow);
    });
  }
}
