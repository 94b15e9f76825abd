import { Counter, Histogram } from "prom-client";
import type { SchedulerTask } from "../scheduler/task.ts";
import { BUCKETS, type Registry } from "./registry.ts";

/** What the reconciler and the drift sweep tell the metrics (one line each where they log). */
export interface ReconcilerMetrics {
  /** A reconciler pass ran ("periodic") or Redis was rebuilt from PostgreSQL ("rebuild"). */
  reconciled(kind: "periodic" | "rebuild", found: { requeued: number; revocations: number }): void;
  /** A drift sweep started, or finished having queued `checks` check jobs. */
  driftSweep(event: "started" | "completed", checks?: number): void;
}

export interface SchedulerMetrics extends ReconcilerMetrics {
  /** Wraps a scheduler task so its runs, failures and duration are counted. */
  instrument(task: SchedulerTask): SchedulerTask;
}

/**
 * csecbridge_reconciler_runs_total{kind}, csecbridge_reconciler_requeued_total{kind, what}
 * (what it found: requests that stopped moving, revocations missing from Redis),
 * csecbridge_drift_sweeps_total{event}, csecbridge_drift_sweep_checks_total, and per scheduler
 * task csecbridge_scheduler_task_runs_total{task, outcome} and
 * csecbridge_scheduler_task_duration_seconds{task}.
 */
export function schedulerMetrics(registry: Registry): SchedulerMetrics {
  const runs = new Counter({
    name: "csecbridge_reconciler_runs_total",
    help: "Reconciler passes: periodic, or a rebuild of Redis from PostgreSQL after Redis lost its data.",
    labelNames: ["kind"],
    registers: [registry],
  });
  const requeued = new Counter({
    name: "csecbridge_reconciler_requeued_total",
    help: "What the reconciler found and queued again: requests whose job was lost, revocations missing from Redis.",
    labelNames: ["kind", "what"],
    registers: [registry],
  });
  const sweeps = new Counter({
    name: "csecbridge_drift_sweeps_total",
    help: "Drift sweeps started and completed.",
    labelNames: ["event"],
    registers: [registry],
  });
  const sweepChecks = new Counter({
    name: "csecbridge_drift_sweep_checks_total",
    help: "Check jobs the drift sweep queued (each is one cloud read by a worker).",
    registers: [registry],
  });
  const taskRuns = new Counter({
    name: "csecbridge_scheduler_task_runs_total",
    help: "Scheduler task runs by outcome (ok, error).",
    labelNames: ["task", "outcome"],
    registers: [registry],
  });
  const taskDuration = new Histogram({
    name: "csecbridge_scheduler_task_duration_seconds",
    help: "Time of one run of a scheduler task.",
    labelNames: ["task"],
    buckets: BUCKETS.call,
    registers: [registry],
  });
  for (const kind of ["periodic", "rebuild"]) {
    runs.inc({ kind }, 0);
    for (const what of ["requests", "revocations"]) requeued.inc({ kind, what }, 0);
  }
  for (const event of ["started", "completed"]) sweeps.inc({ event }, 0);
  return {
    reconciled(kind, found) {
      runs.inc({ kind });
      requeued.inc({ kind, what: "requests" }, found.requeued);
      requeued.inc({ kind, what: "revocations" }, found.revocations);
    },
    driftSweep(event, checks = 0) {
      sweeps.inc({ event });
      if (event === "completed") sweepChecks.inc(checks);
    },
    instrument(task) {
      taskRuns.inc({ task: task.name, outcome: "ok" }, 0);
      taskRuns.inc({ task: task.name, outcome: "error" }, 0);
      return {
        name: task.name,
        async run(ctx) {
          const started = performance.now();
          try {
            await task.run(ctx);
            taskRuns.inc({ task: task.name, outcome: "ok" });
          } catch (err) {
            taskRuns.inc({ task: task.name, outcome: "error" });
            throw err;
          } finally {
            taskDuration.observe({ task: task.name }, (performance.now() - started) / 1000);
          }
        },
      };
    },
  };
}
