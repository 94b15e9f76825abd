import type { Redis } from "ioredis";
import { Gauge } from "prom-client";
import type { Sql } from "../db/connect.ts";
import { backlogStats, revocationStats } from "../db/obligation-stats.ts";
import { REVOCATION_DEAD_KEY, REVOCATION_SCHEDULE_KEY } from "../queue/keys.ts";
import { queueStats } from "../queue/stats.ts";
import type { SchedulerTask } from "../scheduler/task.ts";
import type { Registry } from "./registry.ts";

export interface StateGaugeDeps {
  sql: Sql;
  redis: Redis;
  registry: Registry;
  providers: readonly string[];
  /** Refresh interval: the gauges are at most this old (plus a scrape interval). */
  everyMs: number;
  /** An open obligation due longer than this counts as late. */
  lateAfterMs: number;
  /** A worker is live if its heartbeat is younger than this (the reaper's own timeout). */
  heartbeatTimeoutMs: number;
}

/**
 * The gauges that need a query, computed by the scheduler on a bounded interval (every
 * `everyMs`, a scheduler task) and cached in the registry, never on a scrape: however many
 * Prometheus servers scrape, PostgreSQL and Redis see one round of queries per interval per
 * scheduler replica. Every replica exports the same values; alerts take max() across them.
 *
 * Redis: csecbridge_queue_{depth,in_flight,delayed,dead,workers,consumer_processes}{provider},
 * csecbridge_revocation_schedule_size, csecbridge_revocation_schedule_dead.
 * PostgreSQL: csecbridge_revocation_obligations_open, csecbridge_revocations_due,
 * csecbridge_revocations_late, csecbridge_revocation_oldest_due_seconds,
 * csecbridge_revocations_failed (each {provider}), csecbridge_requests_unfinished{provider,
 * status} and csecbridge_requests_unfinished_oldest_seconds{provider, status}.
 * csecbridge_state_refreshed_timestamp_seconds{source} says when each source last answered, so
 * stale gauges can be told from quiet ones.
 */
export function stateGaugesTask(deps: StateGaugeDeps): SchedulerTask {
  const g = (name: string, help: string, labelNames: string[] = ["provider"]) =>
    new Gauge({ name, help, labelNames, registers: [deps.registry] });
  const queue = {
    depth: g("csecbridge_queue_depth", "Jobs waiting in queue:<provider>."),
    in_flight: g("csecbridge_queue_in_flight", "Jobs held by live workers (their processing lists)."),
    delayed: g("csecbridge_queue_delayed", "Retries waiting for their backoff (queue:<provider>:delayed)."),
    dead: g("csecbridge_queue_dead", "Jobs in the dead-letter list queue:<provider>:dead."),
    workers: g(
      "csecbridge_queue_workers",
      "Worker slots with a live heartbeat (one per concurrent claim); 0 means nobody consumes the queue.",
    ),
    processes: g("csecbridge_queue_consumer_processes", "Worker processes with a live heartbeat."),
  };
  const schedule = g(
    "csecbridge_revocation_schedule_size",
    "Revocations waiting in schedule:revocations.",
    [],
  );
  const scheduleDead = g(
    "csecbridge_revocation_schedule_dead",
    "Scheduled revocations that named no known provider (schedule:revocations:dead).",
    [],
  );
  const open = g(
    "csecbridge_revocation_obligations_open",
    "Open revocation obligations (SCHEDULED grants of ours).",
  );
  const due = g("csecbridge_revocations_due", "SCHEDULED revocations whose revoke_at has come.");
  const late = g(
    "csecbridge_revocations_late",
    "Open obligations due longer than REVOCATION_LATE_AFTER_MS: access that should have ended.",
  );
  const oldestDue = g(
    "csecbridge_revocation_oldest_due_seconds",
    "Seconds since the revoke_at of the oldest open obligation that is due; 0 when none is.",
  );
  const failed = g(
    "csecbridge_revocations_failed",
    "Revocations that ended FAILED: access may still be in place (the drift sweep keeps watching).",
  );
  const unfinished = g(
    "csecbridge_requests_unfinished",
    "Requests not final yet, by status (PENDING, PROCESSING).",
    ["provider", "status"],
  );
  const unfinishedOldest = g(
    "csecbridge_requests_unfinished_oldest_seconds",
    "Seconds since the least recently changed unfinished request changed.",
    ["provider", "status"],
  );
  const refreshed = g(
    "csecbridge_state_refreshed_timestamp_seconds",
    "When the scheduler last read these gauges from each source (unix seconds).",
    ["source"],
  );

  const fromRedis = async () => {
    for (const provider of deps.providers) {
      const s = await queueStats(deps.redis, provider, deps.heartbeatTimeoutMs);
      queue.depth.set({ provider }, s.depth);
      queue.in_flight.set({ provider }, s.in_flight);
      queue.delayed.set({ provider }, s.delayed);
      queue.dead.set({ provider }, s.dead);
      queue.workers.set({ provider }, s.workers);
      queue.processes.set({ provider }, s.processes);
    }
    const [size, dead] = await Promise.all([
      deps.redis.zcard(REVOCATION_SCHEDULE_KEY),
      deps.redis.llen(REVOCATION_DEAD_KEY),
    ]);
    schedule.set(size);
    scheduleDead.set(dead);
    refreshed.set({ source: "redis" }, Date.now() / 1000);
  };
  const fromPostgres = async () => {
    const [revocations, backlog] = await Promise.all([
      revocationStats(deps.sql, deps.lateAfterMs),
      backlogStats(deps.sql),
    ]);
    for (const r of revocations) {
      const labels = { provider: r.provider };
      open.set(labels, r.open);
      due.set(labels, r.due);
      late.set(labels, r.late);
      oldestDue.set(labels, r.oldestDueSeconds);
      failed.set(labels, r.failed);
    }
    for (const provider of deps.providers) {
      for (const status of ["PENDING", "PROCESSING"] as const) {
        const b = backlog.find((x) => x.provider === provider && x.status === status);
        unfinished.set({ provider, status }, b?.count ?? 0);
        unfinishedOldest.set({ provider, status }, b?.oldestSeconds ?? 0);
      }
    }
    refreshed.set({ source: "postgres" }, Date.now() / 1000);
  };

  let last = Number.NEGATIVE_INFINITY;
  return {
    name: "state-gauges",
    async run({ now }) {
      if (now - last < deps.everyMs) return;
      last = now;
      // Each source on its own: PostgreSQL down leaves the queue gauges fresh, and the reverse.
      const results = await Promise.allSettled([fromRedis(), fromPostgres()]);
      const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failure) throw failure.reason;
    },
  };
}
