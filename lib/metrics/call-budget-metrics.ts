import { Counter, Histogram } from "prom-client";
import type { CallBudgetObserver } from "../providers/budget/call-budget.ts";
import type { Registry } from "./registry.ts";

const EVENTS = ["fail_open", "pause", "wait_exceeded"] as const;

/**
 * csecbridge_cloud_budget_wait_seconds{provider}: how long each cloud request waited for a slot of
 * the account's shared budget (0 for most), and csecbridge_cloud_budget_events_total{provider,
 * event}: `fail_open` (Redis did not answer, the request went unmetered), `pause` (a throttle
 * paused every worker of the account), `wait_exceeded` (no slot within the deadline: not sent).
 */
export function callBudgetMetrics(registry: Registry, provider: string): CallBudgetObserver {
  const wait = new Histogram({
    name: "csecbridge_cloud_budget_wait_seconds",
    help: "Time a cloud request waited for a slot of the account's shared call budget.",
    labelNames: ["provider"],
    buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const events = new Counter({
    name: "csecbridge_cloud_budget_events_total",
    help: "Call budget events: fail_open (unmetered, Redis did not answer), pause (a throttle paused every sharer), wait_exceeded (no slot in time, not sent).",
    labelNames: ["provider", "event"],
    registers: [registry],
  });
  wait.zero({ provider });
  for (const event of EVENTS) events.inc({ provider, event }, 0);
  return {
    waited: (ms) => wait.observe({ provider }, ms / 1000),
    failedOpen: () => events.inc({ provider, event: "fail_open" }),
    paused: () => events.inc({ provider, event: "pause" }),
    waitExceeded: () => events.inc({ provider, event: "wait_exceeded" }),
  };
}
