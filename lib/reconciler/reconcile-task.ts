import type { SchedulerTask } from "../scheduler/task.ts";
import { type ReconcileDeps, reconcile } from "./reconcile.ts";

/**
 * The reconciler as a scheduler task. It scans PostgreSQL, so it runs every `everyMs` rather than
 * on every tick; with several scheduler replicas each runs it, which is safe (rows are claimed
 * with SKIP LOCKED, schedule entries are added with NX).
 */
export function reconcileTask(deps: Omit<ReconcileDeps, "now">, everyMs: number): SchedulerTask {
  let last = Number.NEGATIVE_INFINITY;
  return {
    name: "reconcile",
    async run({ now }) {
      if (now - last < everyMs) return;
      last = now;
      const result = await reconcile({ ...deps, now: () => now });
      if (result.requeued + result.rescheduled > 0) deps.log.info(result, "reconciled Redis from PostgreSQL");
    },
  };
}
