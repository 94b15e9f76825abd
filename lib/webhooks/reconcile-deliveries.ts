import type { Redis } from "ioredis";
import type { Sql } from "../db/connect.ts";
import { claimStaleDeliveries } from "../db/webhook-deliveries.ts";
import { queueDeliveries } from "./queue-deliveries.ts";

export interface DeliveryReconcileDeps {
  sql: Sql;
  redis: Redis;
  queueLeaseMs: number;
  batch: number;
}

/**
 * PostgreSQL is the truth for deliveries too: a pending delivery whose job was lost (no live
 * lease: the dispatcher's push failed, its worker died with Redis, a retry lived in a wiped
 * Redis) gets a new job. Run by the scheduler's reconciler pass (lib/reconciler/reconcile-task.ts).
 */
export async function requeueStaleDeliveries(deps: DeliveryReconcileDeps): Promise<number> {
  let n = 0;
  for (;;) {
    const refs = await claimStaleDeliveries(deps.sql, {
      queueLeaseMs: deps.queueLeaseMs,
      limit: deps.batch,
      all: false,
    });
    await queueDeliveries(deps.redis, refs);
    n += refs.length;
    if (refs.length < deps.batch) return n;
  }
}

/** After Redis lost its data: every pending delivery gets a new job at once, whatever its lease. */
export async function rebuildDeliveries(deps: DeliveryReconcileDeps): Promise<number> {
  let n = 0;
  let after: string | undefined;
  for (;;) {
    const refs = await claimStaleDeliveries(deps.sql, {
      queueLeaseMs: deps.queueLeaseMs,
      limit: deps.batch,
      all: true,
      ...(after ? { afterId: after } : {}),
    });
    if (refs.length === 0) return n;
    await queueDeliveries(deps.redis, refs);
    n += refs.length;
    after = refs
      .map((r) => r.id)
      .sort()
      .at(-1);
  }
}
