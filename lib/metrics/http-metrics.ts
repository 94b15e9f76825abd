import { Counter, Histogram } from "prom-client";
import { BUCKETS, type Registry } from "./registry.ts";

export interface HttpMetrics {
  /** One answered request: `route` is the route template (never the raw path). */
  observe(method: string, route: string, status: number, seconds: number): void;
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * csecbridge_http_requests_total and csecbridge_http_request_duration_seconds by method, route
 * template and status. Every label is bounded: methods outside the usual seven are "OTHER", a
 * path no route matched is "(unmatched)", statuses are what the API answers.
 */
export function httpMetrics(registry: Registry): HttpMetrics {
  const labelNames = ["method", "route", "status"] as const;
  const requests = new Counter({
    name: "csecbridge_http_requests_total",
    help: "HTTP requests answered, by method, route template and status.",
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "csecbridge_http_request_duration_seconds",
    help: "Time to answer an HTTP request, by method, route template and status.",
    labelNames,
    buckets: BUCKETS.http,
    registers: [registry],
  });
  return {
    observe(method, route, status, seconds) {
      const labels = { method: METHODS.has(method) ? method : "OTHER", route, status: String(status) };
      requests.inc(labels);
      duration.observe(labels, seconds);
    },
  };
}
