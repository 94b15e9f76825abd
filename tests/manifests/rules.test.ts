import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { metricCatalog, metricsIn } from "../helpers/metric-catalog.ts";
import { promtool, runPromtool } from "../helpers/prometheus.ts";
import { createTestRedis, type TestRedis } from "../helpers/redis.ts";

const root = resolve(import.meta.dir, "../..");
const dir = join(root, "manifests/optional/monitoring");

type Rule = { alert?: string; record?: string; expr: string; annotations?: Record<string, string> };
const ruleFile = parse(await Bun.file(join(dir, "prometheusrule.yaml")).text()) as {
  spec: { groups: { name: string; rules: Rule[] }[] };
};
const rules = ruleFile.spec.groups.flatMap((g) => g.rules);
type Panel = { title: string; type: string; targets?: { expr: string }[]; panels?: Panel[] };
const dashboard = JSON.parse(await Bun.file(join(dir, "grafana-dashboard.json")).text()) as {
  panels: Panel[];
};
const dashboardExprs = dashboard.panels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })),
);
const operations = await Bun.file(join(root, "docs/operations.md")).text();

describe("alerts and dashboard", () => {
  let db: TestDatabase;
  let r: TestRedis;
  let catalog: Map<string, string>;
  const tmp = mkdtempSync(join(tmpdir(), "csb-rules-"));
  beforeAll(async () => {
    db = await createTestDatabase();
    r = await createTestRedis();
    catalog = metricCatalog(db, r);
  });
  afterAll(async () => {
    rmSync(tmp, { recursive: true, force: true });
    await r?.cleanup();
    await db?.drop();
  });

  test("promtool check rules accepts the PrometheusRule's rules", async () => {
    const bin = promtool();
    if (!bin) return;
    writeFileSync(join(tmp, "csecbridge.rules.yml"), JSON.stringify(ruleFile.spec));
    const { code, out } = await runPromtool(bin, ["check", "rules", join(tmp, "csecbridge.rules.yml")]);
    expect({ code, out }).toMatchObject({ code: 0 });
    expect(out).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  test("promtool test rules: each alert fires on trouble and stays quiet otherwise", async () => {
    const bin = promtool();
    if (!bin) return;
    writeFileSync(join(tmp, "csecbridge.rules.yml"), JSON.stringify(ruleFile.spec));
    copyFileSync(join(import.meta.dir, "alerts.promtest.yml"), join(tmp, "alerts.promtest.yml"));
    const { code, out } = await runPromtool(bin, ["test", "rules", join(tmp, "alerts.promtest.yml")]);
    expect({
      code,
      out: out
        .trim()
        .split("\n")
        .filter((l) => l.trim() !== ""),
    }).toEqual({
      code: 0,
      out: expect.arrayContaining(["  SUCCESS"]),
    });
    // Every alert is exercised by at least one unit test.
    const tested = await Bun.file(join(import.meta.dir, "alerts.promtest.yml")).text();
    for (const r of rules) if (r.alert) expect(tested, r.alert).toContain(`alertname: ${r.alert}`);
  });

  test("every alert names its runbook section in docs/operations.md, and that section exists", () => {
    const anchors = new Set(
      [...operations.matchAll(/^#{2,4} (.+)$/gm)].map((m) =>
        (m[1] ?? "")
          .trim()
          .toLowerCase()
          .replace(/[^\p{L}\p{N} -]/gu, "")
          .replace(/ /g, "-"),
      ),
    );
    const alerts = rules.filter((x) => x.alert);
    expect(alerts.length).toBeGreaterThanOrEqual(10);
    for (const a of alerts) {
      const url = a.annotations?.runbook_url ?? "";
      expect(url, a.alert).toBe(`docs/operations.md#${(a.alert ?? "").toLowerCase()}`);
      expect(
        anchors.has((a.alert ?? "").toLowerCase()),
        `docs/operations.md has a "${a.alert}" heading`,
      ).toBe(true);
    }
  });

  test("alerts and dashboard use only metrics the services export", () => {
    const used = [
      ...rules.map((x) => ({ where: x.alert ?? x.record ?? "", expr: x.expr })),
      ...dashboardExprs.map((d) => ({ where: d.panel, expr: d.expr })),
    ];
    for (const { where, expr } of used) {
      const names = metricsIn(expr);
      expect(names.length, `${where}: ${expr}`).toBeGreaterThan(0);
      for (const n of names)
        expect(catalog.has(n), `${where} uses ${n}, which no service exports`).toBe(true);
    }
    // The revocation families are on the dashboard.
    const onDashboard = new Set(dashboardExprs.flatMap((d) => metricsIn(d.expr)));
    for (const n of [
      "csecbridge_revocation_lateness_seconds",
      "csecbridge_revocations_late",
      "csecbridge_revocations_failed",
      "csecbridge_revocation_obligations_open",
      "csecbridge_queue_depth",
      "csecbridge_queue_dead",
      "csecbridge_queue_workers",
      "csecbridge_http_requests_total",
      "csecbridge_cloud_call_errors_total",
    ]) {
      expect(onDashboard.has(n), n).toBe(true);
    }
  });

  test("every dashboard query is valid PromQL (promtool parses it as a recording rule)", async () => {
    const bin = promtool();
    if (!bin) return;
    const groups = [
      {
        name: "dashboard",
        rules: dashboardExprs.map((d, i) => ({
          record: `csecbridge:dashboard:${i}`,
          // Grafana's variables, as Grafana would fill them in.
          expr: d.expr.replaceAll("$__rate_interval", "5m").replaceAll("$provider", ".*"),
        })),
      },
    ];
    writeFileSync(join(tmp, "dashboard.rules.yml"), JSON.stringify({ groups }));
    const { code, out } = await runPromtool(bin, ["check", "rules", join(tmp, "dashboard.rules.yml")]);
    expect({ code, out }).toMatchObject({ code: 0 });
    expect(dashboardExprs.length).toBeGreaterThanOrEqual(20);
  });
});
