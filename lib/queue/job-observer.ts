/** How a claimed job left the worker: acked, put back with a delay, or dead-lettered. */
export type JobResult = "done" | "retried" | "dead";

/**
 * Told once per claimed job, when it is settled (lib/metrics/job-metrics.ts counts them). `kind`
 * is the job's kind, or "unknown" for a job that could not be parsed.
 */
export interface JobObserver {
  jobSettled(provider: string, kind: string, result: JobResult, seconds: number): void;
}
