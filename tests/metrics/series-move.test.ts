import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { metricFamilies, promtool, runPromtool, sampleValue } from "../helpers/prometheus.ts";
import { waitUntil } from "../helpers/spawn-service.ts";
import { type Stack, settled, startStack } from "../helpers/stack.ts";
import { freePort } from "../helpers/throwaway.ts";

// /metrics of every long-running service: the series the operations docs and the alerts rely on
// exist, and they move when work is done — a grant, a failure, a revocation.
describe("metrics move with the work", () => {
  let s: Stack;
  const workerPort = freePort();
  const schedulerPort = freePort();
  const scrape = async (port: number) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const api = async () => (await s.api.app.request("/metrics")).text();

  beforeAll(async () => {
    s = await startStack();
    await s.startScheduler({ METRICS_PORT: String(schedulerPort), METRICS_INTERVAL_MS: "1000" });
    await s.startWorker("aws", { METRICS_PORT: String(workerPort) });
  }, 60_000);
  afterAll(async () => {
    await s?.close();
  });

  const grant = (user: string, duration: string) => ({
    provider: "aws",
    action: "grant",
    principal: { type: "user", name: user },
    permission: { type: "managed_policy", policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
    duration,
  });

  test("every family is exported before any work is done", async () => {
    const worker = metricFamilies(await scrape(workerPort));
    for (const name of [
      "csecbridge_build_info",
      "csecbridge_jobs_total",
      "csecbridge_job_duration_seconds",
      "csecbridge_cloud_call_duration_seconds",
      "csecbridge_cloud_call_errors_total",
      "csecbridge_revocations_total",
      "csecbridge_revocation_lateness_seconds",
      "csecbridge_drift_checks_total",
      "csecbridge_dependency_up",
      "process_cpu_seconds_total",
    ]) {
      expect(worker.has(name), name).toBe(true);
    }
    await waitUntil(
      async () => metricFamilies(await scrape(schedulerPort)).has("csecbridge_revocation_obligations_open"),
      "the scheduler's first gauge refresh",
    );
    const scheduler = metricFamilies(await scrape(schedulerPort));
    for (const name of [
      "csecbridge_queue_depth",
      "csecbridge_queue_in_flight",
      "csecbridge_queue_delayed",
      "csecbridge_queue_dead",
      "csecbridge_queue_workers",
      "csecbridge_revocation_schedule_size",
      "csecbridge_revocations_due",
      "csecbridge_revocations_late",
      "csecbridge_revocation_oldest_due_seconds",
      "csecbridge_revocations_failed",
      "csecbridge_requests_unfinished",
      "csecbridge_reconciler_runs_total",
      "csecbridge_reconciler_requeued_total",
      "csecbridge_drift_sweeps_total",
      "csecbridge_scheduler_task_runs_total",
      "csecbridge_state_refreshed_timestamp_seconds",
      "csecbridge_dependency_up",
    ]) {
      expect(scheduler.has(name), name).toBe(true);
    }
    const health = (await (await fetch(`http://127.0.0.1:${workerPort}/healthz`)).json()) as Record<
      string,
      unknown
    >;
    expect(health).toMatchObject({
      status: "ok",
      provider: "aws",
      dependencies: { postgres: true, redis: true },
    });
  });

  test("a grant, a failure and a revocation each show up", async () => {
    const before = await scrape(workerPort);
    const done0 = sampleValue(before, "csecbridge_jobs_total", { kind: "grant", result: "done" }) ?? 0;
    expect(sampleValue(before, "csecbridge_revocations_total", { outcome: "REVOKED" })).toBe(0);
    expect(sampleValue(before, "csecbridge_revocation_lateness_seconds_count")).toBe(0);

    const short = await s.submit(grant("alice", "PT2S"));
    const long = await s.submit(grant("bob", "PT1H"));
    const failing = await s.submit(grant("nobody-here", "PT1H")); // no such user: NoSuchEntity
    expect((await s.waitFor(long, settled)).status).toBe("SUCCESS");
    expect((await s.waitFor(failing, settled)).status).toBe("FAILED");
    expect((await s.waitFor(short, (v) => v.revocation_status === "REVOKED", 20_000)).status).toBe("SUCCESS");

    await waitUntil(
      async () =>
        (sampleValue(await scrape(workerPort), "csecbridge_revocations_total", { outcome: "REVOKED" }) ??
          0) >= 1,
      "the revocation counted",
    );
    const after = await scrape(workerPort);
    expect(
      sampleValue(after, "csecbridge_jobs_total", { kind: "grant", result: "done" }),
    ).toBeGreaterThanOrEqual(done0 + 2);
    // A permanent cloud error fails the request and dead-letters its job.
    expect(
      sampleValue(after, "csecbridge_jobs_total", { kind: "grant", result: "dead" }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sampleValue(after, "csecbridge_cloud_call_errors_total", { code: "NoSuchEntity", retryable: "false" }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sampleValue(after, "csecbridge_cloud_call_duration_seconds_count", {
        operation: "grant",
        outcome: "ok",
      }),
    ).toBeGreaterThanOrEqual(2);
    expect(
      sampleValue(after, "csecbridge_jobs_total", { kind: "revoke", result: "done" }),
    ).toBeGreaterThanOrEqual(1);
    expect(sampleValue(after, "csecbridge_revocation_lateness_seconds_count")).toBeGreaterThanOrEqual(1);
    // On time: within the design's two seconds (the +Inf bucket holds them all).
    expect(sampleValue(after, "csecbridge_revocation_lateness_seconds_bucket", { le: "5" })).toBe(
      sampleValue(after, "csecbridge_revocation_lateness_seconds_count"),
    );

    // The scheduler's gauges: one open obligation (the long grant), one dead job, nothing late.
    await waitUntil(async () => {
      const t = await scrape(schedulerPort);
      return (
        sampleValue(t, "csecbridge_revocation_obligations_open", { provider: "aws" }) === 1 &&
        sampleValue(t, "csecbridge_queue_dead", { provider: "aws" }) === 1
      );
    }, "the scheduler's gauges to follow");
    const sched = await scrape(schedulerPort);
    expect(sampleValue(sched, "csecbridge_revocations_late", { provider: "aws" })).toBe(0);
    expect(sampleValue(sched, "csecbridge_queue_workers", { provider: "aws" })).toBeGreaterThanOrEqual(1);
    expect(
      sampleValue(sched, "csecbridge_reconciler_runs_total", { kind: "periodic" }),
    ).toBeGreaterThanOrEqual(1);
    expect(sampleValue(sched, "csecbridge_dependency_up", { dependency: "postgres" })).toBe(1);

    // The API's own: the POSTs and GETs above, by route template and status.
    const apiText = await api();
    expect(
      sampleValue(apiText, "csecbridge_http_requests_total", { route: "/api/v1/requests", status: "202" }),
    ).toBeGreaterThanOrEqual(3);
    expect(
      sampleValue(apiText, "csecbridge_http_request_duration_seconds_count", {
        route: "/api/v1/requests/:id",
        status: "200",
      }),
    ).toBeGreaterThanOrEqual(1);
  });

  test("promtool check metrics accepts what every service exports", async () => {
    const bin = promtool();
    if (!bin) return;
    for (const [who, text] of [
      ["worker", await scrape(workerPort)],
      ["scheduler", await scrape(schedulerPort)],
      ["api", await api()],
    ] as const) {
      const { code, out } = await runPromtool(bin, ["check", "metrics"], text);
      if (code !== 0) await Bun.write(join(tmpdir(), `metrics-${who}.txt`), text);
      expect({ who, code, out }).toEqual({ who, code: 0, out: "" });
    }
  });
});
