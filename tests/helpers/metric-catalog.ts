import { callBudgetMetrics } from "../../lib/metrics/call-budget-metrics.ts";
import { instrumentProvider } from "../../lib/metrics/cloud-metrics.ts";
import { dependencyMetrics } from "../../lib/metrics/dependency-metrics.ts";
import { httpMetrics } from "../../lib/metrics/http-metrics.ts";
import { jobMetrics } from "../../lib/metrics/job-metrics.ts";
import { createRegistry } from "../../lib/metrics/registry.ts";
import { schedulerMetrics } from "../../lib/metrics/scheduler-metrics.ts";
import { stateGaugesTask } from "../../lib/metrics/state-gauges.ts";
import { workerMetrics } from "../../lib/metrics/worker-metrics.ts";
import { createAwsProvider } from "../../lib/providers/aws/aws-provider.ts";
import { createIamClient } from "../../lib/providers/aws/create-iam-client.ts";
import type { TestDatabase } from "./db.ts";
import type { TestRedis } from "./redis.ts";

/**
 * Every metric family any CSecBridge process exports, built the way the services build them (no
 * scrape, so nothing is queried). Alerts and the dashboard may use only these names.
 */
export function metricCatalog(db: TestDatabase, r: TestRedis): Map<string, string> {
  const registry = createRegistry("catalog", "0");
  httpMetrics(registry);
  jobMetrics(registry, ["aws"]);
  workerMetrics(registry, ["aws"]);
  callBudgetMetrics(registry, "aws");
  instrumentProvider(
    createAwsProvider({
      client: createIamClient({ region: "us-east-1", endpoint: "http://127.0.0.1:9", requestTimeoutMs: 100 }),
    }),
    registry,
  );
  schedulerMetrics(registry).instrument({ name: "t", run: async () => {} });
  stateGaugesTask({
    sql: db.sql,
    redis: r.redis,
    registry,
    providers: ["aws"],
    everyMs: 1,
    lateAfterMs: 1,
    heartbeatTimeoutMs: 1,
  });
  dependencyMetrics(registry, { sql: db.sql, redis: r.redis });
  return new Map(
    registry.getMetricsAsArray().map((m) => [m.name, String((m as { type?: unknown }).type ?? "")]),
  );
}

/** Metric names a PromQL expression refers to, with histogram suffixes mapped to their family. */
export function metricsIn(expr: string): string[] {
  const names = new Set<string>();
  for (const m of expr.matchAll(/\b((?:csecbridge|process|nodejs)_[a-z0-9_]+)/g)) {
    names.add((m[1] ?? "").replace(/_(bucket|count|sum)$/, ""));
  }
  return [...names];
}
