import type { DbClock } from "../db/db-clock.ts";
import type { SchedulerTask } from "../scheduler/task.ts";
import { rebuildDeliveries, requeueStaleDeliveries } from "../webhooks/reconcile-deliveries.ts";
import { type ReconcileDeps, rebuildAll, reconcile } from "./reconcile.ts";
import { checkEpoch } from "./redis-epoch.ts";

/**
 * The reconciler as a scheduler task. Every tick it reads Redis's epoch (one GET): when Redis
 * lost its data, the scheduler that writes the new epoch rebuilds queues and schedule from
 * PostgreSQL at once. Every `everyMs` it runs the cheap periodic pass, and refreshes the database
 * clock. Safe with several scheduler replicas (rows are claimed with SKIP LOCKED and leased).
 */
export function reconcileTask(deps: ReconcileDeps & { clock: DbClock }, everyMs: number): SchedulerTask {
  let last = Number.NEGATIVE_INFINITY;
  let rebuild = false;
  return {
    name: "reconcile",
    async run({ now }) {
      const seen = await checkEpoch(deps.redis);
      if (seen.created) {
        // The epoch was missing: Redis is new or was wiped. Nothing it held can be trusted.
        deps.log.warn(
          { epoch: seen.epoch },
          "Redis has no epoch (new or lost its data): rebuilding from PostgreSQL",
        );
        rebuild = true;
      }
      if (rebuild) {
        const rebuilt = await rebuildAll(deps); // if this fails, the next tick tries again
        deps.metrics?.reconciled("rebuild", rebuilt);
        // Webhook deliveries too (docs/webhooks.md): their jobs and retries lived in Redis.
        const deliveries = await rebuildDeliveries(deps);
        if (deliveries > 0) deps.log.warn({ deliveries }, "webhook deliveries queued again from PostgreSQL");
        rebuild = false;
        last = now;
        return;
      }
      if (now - last < everyMs) return;
      last = now;
      await deps.clock
        .sync()
        .catch((err: unknown) => deps.log.debug({ err }, "database clock not refreshed"));
      const result = await reconcile(deps);
      deps.metrics?.reconciled("periodic", result);
      const deliveries = await requeueStaleDeliveries(deps);
      if (result.requeued + result.revocations + deliveries > 0)
        deps.log.info({ ...result, deliveries }, "reconciled Redis from PostgreSQL");
    },
  };
}
