import type { Redis } from "ioredis";
import type { Sql } from "../db/connect.ts";
import { dispatchOutbox, writeExpiryNotices } from "../db/webhook-outbox.ts";
import type { Logger } from "../logging/logger.ts";
import { promoteRetries } from "../queue/promote.ts";
import type { SchedulerTask } from "../scheduler/task.ts";
import { WEBHOOK_QUEUE } from "./delivery-job.ts";
import { endpointsFor, type WebhookDirectory } from "./directory.ts";
import { queueDeliveries } from "./queue-deliveries.ts";

export interface DispatchDeps {
  sql: Sql;
  redis: Redis;
  log: Logger;
  directory: WebhookDirectory;
  /** Outbox rows per transaction. */
  batch: number;
  /** How long a new delivery's first job holds it before the reconciler may queue another. */
  queueLeaseMs: number;
}

/**
 * Fans the outbox out: every undispatched event becomes one delivery per subscribed endpoint of
 * its client (the request's callback_url narrows it to that one), then a job on `queue:webhooks`
 * per delivery. Loops while batches come back full. Returns the deliveries queued.
 */
export async function dispatchPass(deps: DispatchDeps): Promise<number> {
  let queued = 0;
  for (;;) {
    const { events, deliveries } = await dispatchOutbox(deps.sql, {
      limit: deps.batch,
      queueLeaseMs: deps.queueLeaseMs,
      endpointsOf: (row) =>
        endpointsFor(deps.directory, row.client, row.event_type, row.callback_url).map((e) => e.url),
    });
    if (deliveries.length > 0) {
      try {
        await queueDeliveries(deps.redis, deliveries);
        queued += deliveries.length;
      } catch (err) {
        // Committed in PostgreSQL: the reconciler queues them once their lease lapses.
        deps.log.warn(
          { err, deliveries: deliveries.length },
          "deliveries recorded but not queued; left to the reconciler",
        );
      }
    }
    if (events < deps.batch) return queued;
  }
}

export function dispatchTask(deps: DispatchDeps): SchedulerTask {
  return {
    name: "webhook-dispatch",
    async run() {
      await dispatchPass(deps);
    },
  };
}

/** grant.expiring notices for every client that asked for them, every `everyMs`. */
export function expiryNoticeTask(
  deps: { sql: Sql; log: Logger; directory: WebhookDirectory },
  everyMs: number,
): SchedulerTask {
  const leads = [...deps.directory]
    .filter(([, w]) => w.expiringLeadMs !== null && w.endpoints.some((e) => e.events.has("grant.expiring")))
    .map(([client, w]) => ({ client, leadMs: w.expiringLeadMs ?? 0 }));
  let last = Number.NEGATIVE_INFINITY;
  return {
    name: "webhook-expiry-notices",
    async run({ now }) {
      if (leads.length === 0 || now - last < everyMs) return;
      last = now;
      const n = await writeExpiryNotices(deps.sql, leads);
      if (n > 0) deps.log.info({ notices: n }, "grant.expiring notices written");
    },
  };
}

/**
 * Due webhook retries back into `queue:webhooks`, every tick of the webhooks service (100 ms)
 * rather than only every scheduler tick (500 ms): a delivery that found its endpoint's slots busy
 * comes back after a few hundred ms, and should not wait for the scheduler on top. The scheduler
 * promotes them too; the script moves each member once, whoever runs it.
 */
export function promoteWebhookRetriesTask(redis: Redis, batch: number): SchedulerTask {
  return {
    name: "webhook-promote-retries",
    async run({ signal }) {
      for (let more = true; more && !signal.aborted; ) {
        more = (await promoteRetries(redis, WEBHOOK_QUEUE, batch)).length === batch;
      }
    },
  };
}
