import { Counter, Histogram } from "prom-client";
import type { JobObserver, JobResult } from "../queue/job-observer.ts";
import { BUCKETS, type Registry } from "./registry.ts";

const KINDS = ["grant", "revoke", "check"] as const;
const RESULTS: readonly JobResult[] = ["done", "retried", "dead"];

/**
 * csecbridge_jobs_total{provider, kind, result} (done, retried, dead) and
 * csecbridge_job_duration_seconds{provider, kind}: what a worker's consumer did with each job it
 * claimed. Series for the worker's own provider start at 0, so rate() sees the first job.
 */
export function jobMetrics(registry: Registry, providers: readonly string[]): JobObserver {
  const jobs = new Counter({
    name: "csecbridge_jobs_total",
    help: "Jobs settled by this worker: done (acked), retried (back with a delay) or dead (dead-lettered).",
    labelNames: ["provider", "kind", "result"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "csecbridge_job_duration_seconds",
    help: "Time from claiming a job to settling it, cloud calls included.",
    labelNames: ["provider", "kind"],
    buckets: BUCKETS.call,
    registers: [registry],
  });
  for (const provider of providers)
    for (const kind of KINDS) for (const result of RESULTS) jobs.inc({ provider, kind, result }, 0);
  return {
    jobSettled(provider, kind, result, seconds) {
      jobs.inc({ provider, kind, result });
      duration.observe({ provider, kind }, seconds);
    },
  };
}
