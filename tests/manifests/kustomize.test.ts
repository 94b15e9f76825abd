import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type K8sObject, kubectl, kustomize } from "../helpers/manifests.ts";

// Every overlay renders, and every workload in it is locked down as docs/operations.md and
// manifests/README.md promise. Rendered by kubectl's own kustomize (what Argo CD and Flux run).

type Container = {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: Record<string, unknown> }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    privileged?: boolean;
    runAsUser?: number;
    capabilities?: { drop?: string[]; add?: string[] };
  };
};
type PodSpec = {
  containers: Container[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  automountServiceAccountToken?: boolean;
  hostNetwork?: boolean;
  hostPID?: boolean;
  volumes?: { name: string; hostPath?: unknown }[];
};

const root = resolve(import.meta.dir, "../..");
const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"]);
const podOf = (o: K8sObject) =>
  (o.spec as { template: { spec: PodSpec; metadata?: { annotations?: Record<string, string> } } }).template;
const SECRET_NAMES = /(DATABASE_URL|REDIS_URL|API_TOKENS|SECRET|PASSWORD|TOKEN)/;

function assertLockedDown(objects: K8sObject[], overlay: string): void {
  const workloads = objects.filter((o) => WORKLOADS.has(o.kind));
  expect(workloads.length).toBeGreaterThanOrEqual(5);
  for (const w of workloads) {
    const where = `${overlay}: ${w.kind}/${w.metadata.name}`;
    const pod = podOf(w).spec;
    expect({
      where,
      nonRoot: pod.securityContext?.runAsNonRoot,
      uid: pod.securityContext?.runAsUser,
    }).toEqual({
      where,
      nonRoot: true,
      uid: 65532,
    });
    expect({ where, seccomp: pod.securityContext?.seccompProfile?.type }).toEqual({
      where,
      seccomp: "RuntimeDefault",
    });
    expect({ where, token: pod.automountServiceAccountToken }).toEqual({ where, token: false });
    expect({
      where,
      host: [pod.hostNetwork, pod.hostPID, pod.volumes?.some((v) => v.hostPath !== undefined)],
    }).toEqual({
      where,
      host: [undefined, undefined, false],
    });
    for (const c of pod.containers) {
      const at = `${where} ${c.name}`;
      expect({ at, sc: c.securityContext }).toEqual({
        at,
        sc: {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          privileged: false,
          capabilities: { drop: ["ALL"] },
        },
      });
      for (const k of ["cpu", "memory"]) {
        expect({
          at,
          k,
          request: c.resources?.requests?.[k] !== undefined,
          limit: c.resources?.limits?.[k] !== undefined,
        }).toEqual({
          at,
          k,
          request: true,
          limit: true,
        });
      }
      // Images come from the registry CI pushes to, never the bare names of the base.
      expect(c.image, at).toMatch(/^ghcr\.io\/[^/]+\/csecbridge-(api|worker|scheduler|webhooks|migrate|ui):/);
      // Secrets only through secretKeyRef, never a literal value in Git.
      for (const e of c.env ?? []) {
        if (SECRET_NAMES.test(e.name))
          expect({ at, env: e.name, literal: e.value }).toEqual({ at, env: e.name, literal: undefined });
      }
    }
    if (w.kind === "Deployment") {
      const c = pod.containers[0];
      expect(c?.livenessProbe?.httpGet?.path, `${where} liveness`).toBe("/healthz");
      const annotations = podOf(w).metadata?.annotations ?? {};
      expect(annotations["prometheus.io/scrape"], `${where} scrape annotation`).toBe("true");
      const port = Number(annotations["prometheus.io/port"]);
      expect(
        c?.ports?.some((p) => p.containerPort === port),
        `${where} exposes ${port}`,
      ).toBe(true);
    }
  }
  expect(objects.some((o) => o.kind === "Secret")).toBe(false);
  const policies = objects.filter((o) => o.kind === "NetworkPolicy").map((o) => o.metadata.name);
  expect(policies).toEqual(
    expect.arrayContaining(["default-deny-all", "metrics-allow-prometheus", "api-allow-prometheus"]),
  );
  const ns = objects.find((o) => o.kind === "Namespace");
  expect(ns?.metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("restricted");
  assertScrapeAllowed(objects, overlay);
}

type Selector = {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
};
/** Kubernetes label-selector semantics for what the manifests use (matchLabels, In, NotIn). */
function selects(sel: Selector | undefined, labels: Record<string, string>): boolean {
  if (sel === undefined) return false;
  const byLabel = Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpr = (sel.matchExpressions ?? []).every((e) => {
    if (e.operator === "In") return (e.values ?? []).includes(labels[e.key] ?? "");
    if (e.operator === "NotIn") return !(e.values ?? []).includes(labels[e.key] ?? "");
    throw new Error(`selector operator ${e.operator} not handled by this test`);
  });
  return byLabel && byExpr;
}

/**
 * Under default-deny, every Deployment's scrape port (its prometheus.io/port) is open to the
 * monitoring namespace by some NetworkPolicy, and nothing else of it is.
 */
function assertScrapeAllowed(objects: K8sObject[], overlay: string): void {
  type Rule = {
    from?: { namespaceSelector?: Selector; podSelector?: Selector }[];
    ports?: { port: number }[];
  };
  const policies = objects
    .filter((o) => o.kind === "NetworkPolicy")
    .map((o) => o.spec as { podSelector: Selector; ingress?: Rule[] });
  for (const d of objects.filter((o) => o.kind === "Deployment")) {
    const template = podOf(d) as {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    };
    const labels = template.metadata?.labels ?? {};
    const port = Number(template.metadata?.annotations?.["prometheus.io/port"]);
    const fromMonitoring = policies
      .filter((p) => selects(p.podSelector, labels))
      .flatMap((p) => p.ingress ?? [])
      .filter((r) =>
        (r.from ?? []).some((f) =>
          selects(f.namespaceSelector, { "kubernetes.io/metadata.name": "monitoring" }),
        ),
      )
      .flatMap((r) => (r.ports ?? []).map((p) => p.port));
    expect({ where: `${overlay}: ${d.metadata.name}`, fromMonitoring }).toEqual({
      where: `${overlay}: ${d.metadata.name}`,
      fromMonitoring: [port],
    });
  }
}

describe("kustomize builds", () => {
  const bin = kubectl();
  const tmp = mkdtempSync(join(root, "manifests", ".test-overlay-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  test("overlays/dev: every workload locked down, images following main", async () => {
    if (!bin) return;
    const objects = await kustomize(bin, join(root, "manifests/overlays/dev"));
    assertLockedDown(objects, "dev");
    const deployments = objects.filter((o) => o.kind === "Deployment");
    expect(
      Object.fromEntries(
        deployments.map((d) => [d.metadata.name, (d.spec as { replicas: number }).replicas]),
      ),
    ).toEqual({
      "csecbridge-api": 1,
      "csecbridge-aws-worker": 1,
      "csecbridge-azure-worker": 1,
      "csecbridge-scheduler": 1,
      "csecbridge-webhooks": 1,
      "csecbridge-ui": 1,
    });
    // The dashboard: a Service in front of it, /api passed to the API's Service and port.
    const api = objects.find((o) => o.kind === "Service" && o.metadata.name === "csecbridge-api");
    const ui = objects.find((o) => o.kind === "Service" && o.metadata.name === "csecbridge-ui");
    const apiPort = (api?.spec as { ports: { port: number }[] } | undefined)?.ports[0]?.port;
    expect((ui?.spec as { selector?: Record<string, string> } | undefined)?.selector).toEqual({
      "app.kubernetes.io/name": "csecbridge-ui",
    });
    const uiDeployment = deployments.find((d) => d.metadata.name === "csecbridge-ui");
    const uiEnv = uiDeployment ? (podOf(uiDeployment).spec.containers[0]?.env ?? []) : [];
    expect(uiEnv.find((e) => e.name === "API_URL")?.value).toBe(`http://csecbridge-api:${apiPort}`);
  });

  test("overlays/prod: every workload locked down, images pinned, monitoring included", async () => {
    if (!bin) return;
    const objects = await kustomize(bin, join(root, "manifests/overlays/prod"));
    assertLockedDown(objects, "prod");
    for (const w of objects.filter((o) => WORKLOADS.has(o.kind))) {
      for (const c of podOf(w).spec.containers)
        expect(c.image, w.metadata.name).toMatch(/:sha-[0-9a-zA-Z]+$|@sha256:/);
    }
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds).toEqual(expect.arrayContaining(["PodMonitor/csecbridge", "PrometheusRule/csecbridge"]));
    // The PodMonitor scrapes each Deployment exactly once, on the port its annotation names.
    type Endpoint = {
      port: string;
      relabelings?: { sourceLabels?: string[]; regex?: string; action?: string }[];
    };
    const monitor = objects.find((o) => o.kind === "PodMonitor");
    const endpoints =
      (monitor?.spec as { podMetricsEndpoints?: Endpoint[] } | undefined)?.podMetricsEndpoints ?? [];
    expect(endpoints.length).toBeGreaterThan(0);
    // Prometheus' discovery labels of a pod: __meta_kubernetes_pod_label_<name, sanitized>.
    const discovered = (labels: Record<string, string>) =>
      Object.fromEntries(
        Object.entries(labels).map(([k, v]) => [
          `__meta_kubernetes_pod_label_${k.replace(/[^A-Za-z0-9_]/g, "_")}`,
          v,
        ]),
      );
    const keeps = (e: Endpoint, labels: Record<string, string>) =>
      (e.relabelings ?? []).every((r) => {
        if (r.action !== "keep") throw new Error(`relabel action ${r.action} not handled by this test`);
        const meta = discovered(labels);
        const value = (r.sourceLabels ?? []).map((l) => meta[l] ?? "").join(";");
        return new RegExp(`^(?:${r.regex ?? "(.*)"})$`).test(value);
      });
    for (const d of objects.filter((o) => o.kind === "Deployment")) {
      const template = podOf(d) as {
        metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      };
      const c = podOf(d).spec.containers[0];
      const scraped = endpoints
        .filter((e) => c?.ports?.some((p) => p.name === e.port) && keeps(e, template.metadata?.labels ?? {}))
        .map((e) => c?.ports?.find((p) => p.name === e.port)?.containerPort);
      expect({ deployment: d.metadata.name, scraped }).toEqual({
        deployment: d.metadata.name,
        scraped: [Number(template.metadata?.annotations?.["prometheus.io/port"])],
      });
    }
    const dashboard = objects.find(
      (o) => o.kind === "ConfigMap" && o.metadata.name === "csecbridge-grafana-dashboard",
    );
    expect(dashboard?.metadata.labels?.grafana_dashboard).toBe("1");
    expect(
      JSON.parse(((dashboard?.data ?? {}) as Record<string, string>)["csecbridge.json"] ?? "{}").uid,
    ).toBe("csecbridge");
    for (const o of objects.filter((x) => x.kind !== "Namespace"))
      expect(o.metadata.namespace, o.metadata.name).toBe("csecbridge");
  });

  test("prod with the KEDA component: workers lose their fixed replica count, ScaledObjects appear", async () => {
    if (!bin) return;
    writeFileSync(
      join(tmp, "kustomization.yaml"),
      [
        "apiVersion: kustomize.config.k8s.io/v1beta1",
        "kind: Kustomization",
        "resources: [../overlays/prod]",
        "components: [../optional/keda]",
        "",
      ].join("\n"),
    );
    const objects = await kustomize(bin, tmp);
    assertLockedDown(objects, "prod+keda");
    const workers = objects.filter((o) => o.kind === "Deployment" && o.metadata.name.endsWith("-worker"));
    expect(workers.map((w) => (w.spec as { replicas?: number }).replicas)).toEqual([undefined, undefined]);
    expect(objects.filter((o) => o.kind === "ScaledObject")).toHaveLength(2);
  });

  test("efk: Fluentd runs as root only to read node logs, with nothing else", async () => {
    if (!bin) return;
    const objects = await kustomize(bin, join(root, "manifests/efk"));
    const fluentd = objects.find((o) => o.kind === "DaemonSet");
    const c = fluentd ? podOf(fluentd).spec.containers[0] : undefined;
    expect(c?.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
    for (const w of objects.filter((o) => WORKLOADS.has(o.kind) && o.kind !== "DaemonSet")) {
      const pod = podOf(w).spec;
      expect(pod.securityContext?.runAsNonRoot, w.metadata.name).toBe(true);
      expect(pod.containers[0]?.securityContext?.allowPrivilegeEscalation, w.metadata.name).toBe(false);
    }
  });
});
