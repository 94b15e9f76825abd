// `bun run bench webhooks`: what signed callbacks cost and how fast they go.
//   1-3: the end-to-end pipeline (real API, scheduler and 2 AWS worker processes, cloudsim) with
//        the outbox trigger disabled (the system before issue 11), with the trigger but no
//        webhooks service, and with the webhooks service delivering every request.succeeded /
//        request.failed to a local receiver: the provider workers' rate in each, and for the
//        last the deliveries per second and the latency from status change to delivery.
//   4:   drain: a backlog of outbox events delivered by the webhooks service alone.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { Webhook } from "standardwebhooks";
import { type RunningCloudsim, startCloudsim } from "../services/cloudsim/sim/server.ts";
import { BENCH_REDIS, benchNamespace, waitForReady } from "./namespace.ts";

const N = Number(process.env.BENCH_REQUESTS ?? 2000);
const DRAIN = Number(process.env.BENCH_DRAIN_EVENTS ?? 5000);
/** Each pipeline mode runs this many times, the order reversed every other round (noise shows). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** The paced run: this many grants a second for PACED_SECONDS, well under saturation. */
const PACED_RATE = Number(process.env.BENCH_PACED_RATE ?? 50);
const PACED_SECONDS = 10;
const CONCURRENCY = 64;
const TOKEN = "bench-secret-0123456789-abcdefghij";
const USERS = 200;
const POLICIES = ["ReadOnlyAccess", "SecurityAudit", "IAMReadOnlyAccess", "AmazonS3ReadOnlyAccess"];
const SECRET = `whsec_${randomBytes(24).toString("base64")}`;

interface RunResult {
  label: string;
  mode?: string;
  finalSeconds: number;
  reqPerSec: number;
  deliveries?: number;
  deliveriesPerSec?: number;
  p50?: number;
  p99?: number;
  max?: number;
}

function startReceiver() {
  let hits = 0;
  const sample: { body: string; headers: Record<string, string> }[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const body = await req.text();
      hits++;
      if (sample.length < 20) sample.push({ body, headers: Object.fromEntries(req.headers) });
      return new Response(null, { status: 204 });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/hooks`,
    hits: () => hits,
    /** Every sampled delivery verifies with the standardwebhooks verifier. */
    verifySample: () => sample.every((s) => new Webhook(SECRET).verify(s.body, s.headers) !== undefined),
    stop: () => server.stop(true),
  };
}

function policyFile(dir: string, url: string): string {
  const file = join(dir, "policy.yaml");
  writeFileSync(
    file,
    `clients:
  bench:
    providers: [aws]
    aws: { policy_arns: ["**"] }
    webhooks:
      endpoints: [{ url: "${url}", max_in_flight: 16 }]
      events: [request.succeeded, request.failed]
      secrets: [{ env: BENCH_WEBHOOK_SECRET }]
`,
  );
  return file;
}

function services(dbUrl: string, prefix: string) {
  const procs: ReturnType<typeof Bun.spawn>[] = [];
  const common = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    DATABASE_URL: dbUrl,
    REDIS_URL: BENCH_REDIS,
    REDIS_KEY_PREFIX: prefix,
    LOG_LEVEL: "warn",
  };
  return {
    spawn(entry: string, env: Record<string, string>) {
      procs.push(
        Bun.spawn(["bun", entry], { env: { ...common, ...env }, stdout: "ignore", stderr: "inherit" }),
      );
    },
    async stop() {
      for (const p of procs) p.kill("SIGTERM");
      await Promise.all(procs.map((p) => p.exited));
    },
  };
}

const webhooksEnv = (policy: string) => ({
  POLICY_FILE: policy,
  BENCH_WEBHOOK_SECRET: SECRET,
  WEBHOOKS_ALLOW_PRIVATE: "1",
  NODE_ENV: "production",
  METRICS_PORT: "0",
});

async function pipelineRun(
  label: string,
  cloud: RunningCloudsim,
  mode: "no-trigger" | "trigger" | "deliver",
  dir: string,
  pace?: { perSecond: number; count: number },
): Promise<RunResult> {
  const total = pace?.count ?? N;
  const ns = await benchNamespace();
  const receiver = startReceiver();
  const svc = services(ns.dbUrl, ns.prefix);
  const sql = postgres(ns.dbUrl, { max: 2, onnotice: () => {} });
  const port = 18_000 + Math.floor(Math.random() * 2000);
  try {
    if (mode === "no-trigger")
      await sql`ALTER TABLE request_events DISABLE TRIGGER request_events_webhook_outbox`;
    svc.spawn("services/api/main.ts", {
      PORT: String(port),
      HOST: "127.0.0.1",
      API_TOKENS: `bench:${TOKEN}`,
      NODE_ENV: "production",
      RATE_LIMITS: "off",
    });
    svc.spawn("services/scheduler/main.ts", {});
    const workerEnv = {
      WORKER_PROVIDER: "aws",
      AWS_ENDPOINT_URL_IAM: cloud.awsUrl,
      AWS_ACCESS_KEY_ID: "AKIABENCH",
      AWS_SECRET_ACCESS_KEY: "bench",
    };
    for (let i = 0; i < 2; i++) svc.spawn("services/worker/main.ts", workerEnv);
    if (mode === "deliver")
      svc.spawn("services/webhooks/main.ts", webhooksEnv(policyFile(dir, receiver.url)));
    const url = `http://127.0.0.1:${port}`;
    await waitForReady(url);
    await Bun.sleep(1500);

    const started = performance.now();
    let next = 0;
    const post = async () => {
      while (next < total) {
        const i = next++;
        // Paced: request i leaves at i / perSecond, so the system is never saturated.
        if (pace) await Bun.sleep(Math.max(0, started + (i * 1000) / pace.perSecond - performance.now()));
        const res = await fetch(`${url}/api/v1/requests`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
          body: JSON.stringify({
            provider: "aws",
            action: "grant",
            principal: { type: "user", name: `user${i % USERS}` },
            permission: {
              type: "managed_policy",
              policy_arn: `arn:aws:iam::aws:policy/${POLICIES[i % POLICIES.length]}`,
            },
            duration: "PT1H",
          }),
        });
        if (res.status !== 202) throw new Error(`POST → ${res.status}`);
        await res.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, post));
    for (;;) {
      const [r] = await sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM requests WHERE status IN ('SUCCESS', 'FAILED')`;
      if ((r?.n ?? 0) >= total) break;
      await Bun.sleep(50);
    }
    const final = (performance.now() - started) / 1000;
    const result: RunResult = { label, finalSeconds: final, reqPerSec: total / final };
    if (mode !== "deliver") return result;
    for (;;) {
      const [r] = await sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'delivered'`;
      if ((r?.n ?? 0) >= total) break;
      await Bun.sleep(50);
    }
    const [lat] = await sql<{ p50: number; p99: number; max: number; span: number; n: number }[]>`
      SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d.delivered_at - o.created_at)) * 1000 AS p50,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM d.delivered_at - o.created_at)) * 1000 AS p99,
             max(extract(epoch FROM d.delivered_at - o.created_at)) * 1000 AS max,
             extract(epoch FROM max(d.delivered_at) - min(o.created_at)) AS span, count(*)::int AS n
      FROM webhook_deliveries d JOIN webhook_outbox o ON o.event_id = d.event_id`;
    if (!receiver.verifySample()) throw new Error("a delivery did not verify");
    if (receiver.hits() < total) throw new Error(`receiver got ${receiver.hits()} of ${total}`);
    return {
      ...result,
      deliveries: lat?.n ?? 0,
      deliveriesPerSec: (lat?.n ?? 0) / (lat?.span ?? 1),
      p50: Math.round(lat?.p50 ?? 0),
      p99: Math.round(lat?.p99 ?? 0),
      max: Math.round(lat?.max ?? 0),
    };
  } finally {
    await sql.end();
    await svc.stop();
    receiver.stop();
    await ns.drop();
  }
}

/** A backlog of DRAIN request.succeeded events, then the webhooks service alone delivers them. */
async function drainRun(dir: string): Promise<RunResult> {
  const ns = await benchNamespace();
  const receiver = startReceiver();
  const svc = services(ns.dbUrl, ns.prefix);
  const sql = postgres(ns.dbUrl, { max: 2, onnotice: () => {} });
  try {
    await sql`
      INSERT INTO requests (correlation_id, status, cloud_provider, action, client, request_payload, request_hash,
                            access_key, principal, completed_at)
      SELECT gen_random_uuid(), 'SUCCESS', 'aws', 'grant', 'bench', '{}', 'h', 'k' || i, 'user/u' || i, now()
      FROM generate_series(1, ${DRAIN}) i`;
    await sql`
      INSERT INTO request_events (correlation_id, kind, from_status, to_status)
      SELECT correlation_id, 'STATUS', 'PROCESSING', 'SUCCESS' FROM requests`;
    svc.spawn("services/scheduler/main.ts", {});
    const started = performance.now();
    svc.spawn("services/webhooks/main.ts", webhooksEnv(policyFile(dir, receiver.url)));
    for (;;) {
      const [r] = await sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'delivered'`;
      if ((r?.n ?? 0) >= DRAIN) break;
      await Bun.sleep(50);
    }
    const seconds = (performance.now() - started) / 1000;
    if (!receiver.verifySample()) throw new Error("a delivery did not verify");
    return {
      label: `drain ${DRAIN} queued events (webhooks service start included)`,
      finalSeconds: seconds,
      reqPerSec: 0,
      deliveries: DRAIN,
      deliveriesPerSec: DRAIN / seconds,
    };
  } finally {
    await sql.end();
    await svc.stop();
    receiver.stop();
    await ns.drop();
  }
}

export async function runWebhooksBench(): Promise<void> {
  const cloud = await startCloudsim();
  const dir = mkdtempSync(join(tmpdir(), "csb-bench-wh-"));
  const results: RunResult[] = [];
  try {
    const modes: [string, "no-trigger" | "trigger" | "deliver"][] = [
      ["workers, outbox trigger disabled (before issue 11)", "no-trigger"],
      ["workers + outbox trigger, no webhooks service", "trigger"],
      ["workers + outbox + webhooks service delivering", "deliver"],
    ];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [label, mode] of round % 2 ? modes : [...modes].reverse()) {
        cloud.aws.reset();
        for (let i = 0; i < USERS; i++) cloud.aws.seedUser(`user${i}`);
        results.push({ ...(await pipelineRun(`${label} (round ${round})`, cloud, mode, dir)), mode });
        console.error(`done: ${label} (round ${round})`);
      }
    }
    cloud.aws.reset();
    for (let i = 0; i < USERS; i++) cloud.aws.seedUser(`user${i}`);
    results.push(
      await pipelineRun(
        `paced ${PACED_RATE} grants/s for ${PACED_SECONDS} s, delivering`,
        cloud,
        "deliver",
        dir,
        {
          perSecond: PACED_RATE,
          count: PACED_RATE * PACED_SECONDS,
        },
      ),
    );
    console.error("done: paced");
    results.push(await drainRun(dir));
    console.error("done: drain");
  } finally {
    await cloud.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `\nmachine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}; bun ${Bun.version}; ${N} grants per pipeline run (64 concurrent POSTs, 2 AWS worker processes of concurrency 10); webhooks concurrency 20, endpoint max_in_flight 16\n`,
  );
  console.log(
    "| run | all final (s) | provider req/s to final | deliveries | deliveries/s | p50 change→delivered ms | p99 ms | max ms |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
  const f = (v: number | undefined, d = 0) => (v === undefined ? "–" : v.toFixed(d));
  for (const r of results) {
    console.log(
      `| ${r.label} | ${r.finalSeconds.toFixed(1)} | ${r.reqPerSec ? Math.round(r.reqPerSec) : "–"} | ${f(r.deliveries)} | ${f(r.deliveriesPerSec)} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.max)} |`,
    );
  }
  const mean = (mode: string) => {
    const rs = results.filter((r) => r.mode === mode).map((r) => r.reqPerSec);
    return rs.reduce((a, b) => a + b, 0) / Math.max(1, rs.length);
  };
  const [off, on, deliver] = [mean("no-trigger"), mean("trigger"), mean("deliver")];
  console.log(
    `\nprovider req/s, mean of ${ROUNDS} rounds: trigger off ${Math.round(off)}, trigger on ${Math.round(on)} (${((on / off) * 100).toFixed(0)}%), delivering ${Math.round(deliver)} (${((deliver / off) * 100).toFixed(0)}%)`,
  );
}
