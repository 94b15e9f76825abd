import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { promtool, runPromtool, sampleValue } from "../helpers/prometheus.ts";
import { createTestRedis, type TestRedis } from "../helpers/redis.ts";
import { waitUntil } from "../helpers/spawn-service.ts";
import { freePort } from "../helpers/throwaway.ts";

setDefaultTimeout(90_000);

const root = resolve(import.meta.dir, "../..");
const DEV_TOKEN = { authorization: "Bearer dev-token-change-me-0000" };

type StackFile = {
  api: string;
  ui: string;
  webhookSink: string;
  metrics: {
    api: string;
    awsWorker: string;
    azureWorker: string;
    scheduler: string;
    webhooks: string;
    ui: string;
  };
  ports: Record<string, number>;
};

interface DevStack {
  name: string;
  proc: ReturnType<typeof Bun.spawn>;
  db: TestDatabase;
  r: TestRedis;
  out: () => string;
  file: () => StackFile;
}

/** `bun run dev` as a developer runs it, with its own database, key prefix and stack name. */
async function startDevStack(ports: Record<string, number>): Promise<DevStack> {
  const db = await createTestDatabase();
  const r = await createTestRedis();
  const name = `test-${randomBytes(4).toString("hex")}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    DATABASE_URL: db.url,
    REDIS_URL: r.url,
    REDIS_KEY_PREFIX: r.prefix,
    DEV_STACK: name,
    LOG_LEVEL: "info",
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
  };
  const proc = Bun.spawn(["bun", "scripts/dev.ts"], { cwd: root, env, stdout: "pipe", stderr: "pipe" });
  let out = "";
  const pump = async (s: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of s) out += dec.decode(chunk);
  };
  void pump(proc.stdout);
  void pump(proc.stderr);
  const stackJson = join(root, ".dev", name, "stack.json");
  return {
    name,
    proc,
    db,
    r,
    out: () => out,
    file: () => JSON.parse(readFileSync(stackJson, "utf8")) as StackFile,
  };
}

describe("bun run dev: two stacks side by side, scraped by a real Prometheus", () => {
  const a: Record<string, number> = {
    PORT: freePort(),
    CLOUDSIM_AWS_PORT: freePort(),
    CLOUDSIM_AZURE_PORT: freePort(),
    AWS_WORKER_METRICS_PORT: freePort(),
    AZURE_WORKER_METRICS_PORT: freePort(),
    SCHEDULER_METRICS_PORT: freePort(),
  };
  let stackA: DevStack;
  let stackB: DevStack;
  const tmp = mkdtempSync(join(tmpdir(), "csb-prom-"));

  const ready = async (s: DevStack) => {
    await waitUntil(
      async () =>
        existsSync(join(root, ".dev", s.name, "stack.json")) && (await fetch(`${s.file().api}/healthz`)).ok,
      `dev stack ${s.name}`,
      45_000,
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n${s.out().slice(-3000)}`);
    });
    for (const url of Object.values(s.file().metrics)) {
      await waitUntil(async () => (await fetch(url)).ok, url, 20_000);
    }
  };

  beforeAll(async () => {
    // B names only its API port: every other port is the usual one when free, or any free one.
    // Both start at the same moment and leave the dashboard's and the sink's ports to the script:
    // it must not give them the same ones (scripts/dev-ports.ts).
    [stackA, stackB] = await Promise.all([startDevStack(a), startDevStack({ PORT: freePort() })]);
    await Promise.all([ready(stackA), ready(stackB)]);
  });
  afterAll(async () => {
    for (const s of [stackA, stackB]) {
      if (!s) continue;
      s.proc.kill("SIGKILL");
      await s.proc.exited;
      rmSync(join(root, ".dev", s.name), { recursive: true, force: true });
      await s.r.cleanup();
      await s.db.drop();
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  test("each stack has its own ports and its own CA file", () => {
    const fa = stackA.file();
    const fb = stackB.file();
    expect(fa.ports).toMatchObject({
      api: a.PORT,
      cloudsimAws: a.CLOUDSIM_AWS_PORT,
      cloudsimAzure: a.CLOUDSIM_AZURE_PORT,
      awsWorkerMetrics: a.AWS_WORKER_METRICS_PORT,
    });
    const all = [...Object.values(fa.ports), ...Object.values(fb.ports)];
    expect(new Set(all).size).toBe(all.length);
    const caA = readFileSync(join(root, ".dev", stackA.name, "cloudsim-ca.pem"), "utf8");
    const caB = readFileSync(join(root, ".dev", stackB.name, "cloudsim-ca.pem"), "utf8");
    expect(caA).toStartWith("-----BEGIN CERTIFICATE-----");
    expect(caA).not.toBe(caB);
  });

  test("both carry out work; a real Prometheus scrapes stack A and answers a revocation-lateness query", async () => {
    const grant = (api: string, duration: string) =>
      fetch(`${api}/api/v1/requests`, {
        method: "POST",
        headers: { ...DEV_TOKEN, "content-type": "application/json" },
        body: JSON.stringify({
          provider: "aws",
          action: "grant",
          principal: { type: "user", name: "alice" },
          permission: { type: "managed_policy", policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
          duration,
        }),
      });
    const ids = [] as string[];
    for (const s of [stackA, stackB]) {
      const res = await grant(s.file().api, "PT2S");
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { correlation_id: string }).correlation_id);
    }
    for (const [i, s] of [stackA, stackB].entries()) {
      await waitUntil(
        async () => {
          const v = (await (
            await fetch(`${s.file().api}/api/v1/requests/${ids[i]}`, { headers: DEV_TOKEN })
          ).json()) as {
            revocation_status: string;
          };
          return v.revocation_status === "REVOKED";
        },
        `the grant of ${s.name} revoked`,
        30_000,
      );
    }
    // Each stack's webhooks service signed the dev client's callbacks to that stack's own sink.
    for (const [i, s] of [stackA, stackB].entries()) {
      await waitUntil(
        async () => {
          const got = (await (await fetch(`${s.file().webhookSink}/received`)).json()) as {
            type: string | null;
            correlation_id: string | null;
            verified: boolean;
          }[];
          return got.some((w) => w.correlation_id === ids[i] && w.type === "grant.revoked" && w.verified);
        },
        `${s.name}'s sink received the verified grant.revoked`,
        20_000,
      );
      // The dashboard passes /api to its own stack's API.
      const viaUi = await fetch(`${s.file().ui}/api/v1/requests/${ids[i]}`, { headers: DEV_TOKEN });
      expect(viaUi.status).toBe(200);
      expect(((await viaUi.json()) as { correlation_id: string }).correlation_id).toBe(ids[i] ?? "");
    }
    const worker = await (await fetch(stackA.file().metrics.awsWorker)).text();
    expect(sampleValue(worker, "csecbridge_revocation_lateness_seconds_count", { provider: "aws" })).toBe(1);

    const prometheus = Bun.which("prometheus");
    if (!prometheus) {
      console.warn(
        "SKIPPED: the prometheus binary is not installed (apt-get install prometheus); .ci/run installs it",
      );
      return;
    }
    // The alert rules too: a real Prometheus must load them.
    const rules = parse(
      readFileSync(join(root, "manifests/optional/monitoring/prometheusrule.yaml"), "utf8"),
    ) as {
      spec: unknown;
    };
    writeFileSync(join(tmp, "rules.yml"), JSON.stringify(rules.spec));
    const f = stackA.file();
    const targets = Object.values(f.metrics).map((u) => new URL(u).host);
    expect(targets).toHaveLength(6);
    writeFileSync(
      join(tmp, "prometheus.yml"),
      JSON.stringify({
        global: { scrape_interval: "1s", evaluation_interval: "1s" },
        rule_files: [join(tmp, "rules.yml")],
        scrape_configs: [{ job_name: "csecbridge", static_configs: [{ targets }] }],
      }),
    );
    const bin = promtool();
    if (bin) expect((await runPromtool(bin, ["check", "config", join(tmp, "prometheus.yml")])).code).toBe(0);
    const port = freePort();
    const prom = Bun.spawn(
      [
        prometheus,
        `--config.file=${join(tmp, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(tmp, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdout: "ignore", stderr: "pipe" },
    );
    try {
      const base = `http://127.0.0.1:${port}`;
      const query = async (q: string) => {
        const res = (await (await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as {
          status: string;
          data: { result: { metric: Record<string, string>; value: [number, string] }[] };
        };
        return res.data.result;
      };
      await waitUntil(async () => (await fetch(`${base}/-/ready`)).ok, "Prometheus ready", 20_000);
      await waitUntil(
        async () => (await query("up == 1")).length === targets.length,
        "every target scraped and up",
        20_000,
      );
      const lateness = await query('csecbridge_revocation_lateness_seconds_count{provider="aws"}');
      expect(lateness.map((r) => Number(r.value[1]))).toEqual([1]);
      const p99 = await query(
        'histogram_quantile(0.99, sum by (le) (csecbridge_revocation_lateness_seconds_bucket{provider="aws"}))',
      );
      expect(Number(p99[0]?.value[1])).toBeLessThanOrEqual(5); // on time: well inside the 5 s bucket
      const loaded = (await (await fetch(`${base}/api/v1/rules`)).json()) as {
        data: { groups: { name: string }[] };
      };
      expect(loaded.data.groups.map((g) => g.name)).toEqual(
        expect.arrayContaining(["csecbridge.revocations", "csecbridge.queues", "csecbridge.api"]),
      );
    } finally {
      prom.kill("SIGTERM");
      await prom.exited;
    }
  });

  test("SIGTERM stops each whole stack cleanly", async () => {
    for (const s of [stackA, stackB]) {
      const api = s.file().api;
      s.proc.kill("SIGTERM");
      expect({ stack: s.name, code: await s.proc.exited }).toEqual({ stack: s.name, code: 0 });
      await expect(fetch(`${api}/healthz`)).rejects.toThrow();
    }
    expect(stackA.out()).toContain("csecbridge-api listening");
  });
});
