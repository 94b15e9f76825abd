import { collectDefaultMetrics, Gauge, Registry } from "prom-client";

export type { Registry };

/** Histogram buckets, seconds. */
export const BUCKETS = {
  /** An API answer: milliseconds to a few seconds (the DB/Redis bounds are 2-3 s). */
  http: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  /** A cloud call or a job: tens of milliseconds to the call timeout. */
  call: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  /** How late a revocation was: the design aims at about two seconds. */
  lateness: [0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600],
};

const NAMED_LIKE_COUNTERS = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

/**
 * One registry per process (never prom-client's global one, so tests can build several): the
 * process and runtime series prom-client collects (process_*, nodejs_*), and
 * `csecbridge_build_info{service, version}` = 1, which also tells an alert a service is there.
 */
export function createRegistry(service: string, version: string): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Gauges named like counters: Prometheus' own lint (promtool check metrics) rejects them, and
  // nothing here needs them.
  for (const name of NAMED_LIKE_COUNTERS) registry.removeSingleMetric(name);
  const info = new Gauge({
    name: "csecbridge_build_info",
    help: "Always 1; the labels say which service and version this process is.",
    labelNames: ["service", "version"],
    registers: [registry],
  });
  info.set({ service, version }, 1);
  return registry;
}
