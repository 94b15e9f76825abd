import type { MiddlewareHandler } from "hono";
import type { HttpMetrics } from "../../metrics/http-metrics.ts";

/**
 * Counts and times every answer by route template (Hono's matched route path, e.g.
 * `/api/v1/requests/:id`), never the raw path: the label set stays bounded whatever callers send.
 * Registered first, so refusals (401, 413, 429) and errors are measured too.
 */
export function measureHttp(metrics: HttpMetrics): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const route = c.req.routePath === "/*" ? "(unmatched)" : c.req.routePath;
    metrics.observe(c.req.method, route, c.res.status, (performance.now() - started) / 1000);
  };
}
