import { cpus } from "node:os";
import postgres from "postgres";
import { type RunningCloudsim, startCloudsim } from "../services/cloudsim/sim/server.ts";
import { BENCH_REDIS, benchNamespace, waitForReady } from "./namespace.ts";

const N = Number(process.env.BENCH_REQUESTS ?? 2000);
const CONCURRENCY = 64;
const TOKEN = "bench-secret-0123456789-abcdefghij";
const REDIS = BENCH_REDIS;
const USERS = 200;
const POLICIES = [
  "ReadOnlyAccess",
  "SecurityAudit",
  "ViewOnlyAccess",
  "IAMReadOnlyAccess",
  "AmazonS3ReadOnlyAccess",
];
const AZ_PRINCIPALS = Array.from(
  { length: 50 },
  (_, i) => `0b9f7c1e-6a53-4b5e-9a39-${String(i).padStart(12, "0")}`,
);
const SCOPE = "/subscriptions/6f1d2b7a-0c1e-4a7b-9d3e-5c2a1b0f9e8d/resourceGroups/rg-bench";

interface RunResult {
  label: string;
  requests: number;
  postSeconds: number;
  finalSeconds: number;
  p50: number;
  p99: number;
  failed: number;
}

function body(i: number, provider: "aws" | "azure") {
  if (provider === "aws") {
    const policy = POLICIES[i % POLICIES.length] ?? "ReadOnlyAccess";
    const arn = `arn:aws:iam::aws:policy/${policy === "ViewOnlyAccess" ? "job-function/" : ""}${policy}`;
    return {
      provider,
      action: "grant",
      principal: { type: "user", name: `user${i % USERS}` },
      permission: { type: "managed_policy", policy_arn: arn },
      duration: "PT1H",
    };
  }
  return {
    provider,
    action: "grant",
    principal: { id: AZ_PRINCIPALS[i % AZ_PRINCIPALS.length], type: "User" },
    role: { name: i % 2 ? "Reader" : "Contributor" },
    scope: SCOPE,
    duration: "PT1H",
  };
}

async function oneRun(
  label: string,
  cloud: RunningCloudsim,
  workers: { aws: number; azure: number },
  mix: (i: number) => "aws" | "azure",
): Promise<RunResult> {
  const ns = await benchNamespace();
  const { dbUrl, prefix } = ns;
  const port = 18_000 + Math.floor(Math.random() * 2000);
  const common = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    DATABASE_URL: dbUrl,
    REDIS_URL: REDIS,
    REDIS_KEY_PREFIX: prefix,
    LOG_LEVEL: "warn",
  };
  const procs: ReturnType<typeof Bun.spawn>[] = [];
  const spawn = (entry: string, env: Record<string, string>) =>
    procs.push(
      Bun.spawn(["bun", entry], { env: { ...common, ...env }, stdout: "ignore", stderr: "inherit" }),
    );
  spawn("services/api/main.ts", {
    PORT: String(port),
    HOST: "127.0.0.1",
    API_TOKENS: `bench:${TOKEN}`,
    NODE_ENV: "production",
    // One client sends thousands of requests: this measures the pipeline, not the limiter
    // (bench api measures that), so the default 600/min would only turn it into a 429 count.
    RATE_LIMITS: "off",
  });
  spawn("services/scheduler/main.ts", {});
  const workerEnv = {
    AWS_ENDPOINT_URL_IAM: cloud.awsUrl,
    AWS_ACCESS_KEY_ID: "AKIABENCH",
    AWS_SECRET_ACCESS_KEY: "bench",
    AZURE_TENANT_ID: cloud.tenantId,
    AZURE_CLIENT_ID: cloud.clientId,
    AZURE_CLIENT_SECRET: cloud.clientSecret,
    AZURE_AUTHORITY_HOST: cloud.authorityHost,
    AZURE_ARM_ENDPOINT: cloud.azureUrl,
    AZURE_CA_FILE: cloud.caFile,
  };
  for (let i = 0; i < workers.aws; i++)
    spawn("services/worker/main.ts", { ...workerEnv, WORKER_PROVIDER: "aws" });
  for (let i = 0; i < workers.azure; i++)
    spawn("services/worker/main.ts", { ...workerEnv, WORKER_PROVIDER: "azure" });
  const url = `http://127.0.0.1:${port}`;
  await waitForReady(url);
  await Bun.sleep(1500); // workers register their heartbeats

  const sql = postgres(dbUrl, { max: 2, onnotice: () => {} });
  try {
    const started = performance.now();
    let next = 0;
    const post = async () => {
      while (next < N) {
        const i = next++;
        const res = await fetch(`${url}/api/v1/requests`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
          body: JSON.stringify(body(i, mix(i))),
        });
        if (res.status !== 202) throw new Error(`POST → ${res.status}`);
        await res.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, post));
    const posted = performance.now();
    for (;;) {
      const [r] = await sql<
        { n: number }[]
      >`SELECT count(*)::int AS n FROM requests WHERE status IN ('SUCCESS', 'FAILED')`;
      if ((r?.n ?? 0) >= N) break;
      await Bun.sleep(50);
    }
    const done = performance.now();
    const [lat] = await sql<{ p50: number; p99: number; failed: number }[]>`
      SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - received_at)) * 1000 AS p50,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - received_at)) * 1000 AS p99,
             count(*) FILTER (WHERE status = 'FAILED')::int AS failed
      FROM requests`;
    return {
      label,
      requests: N,
      postSeconds: (posted - started) / 1000,
      finalSeconds: (done - started) / 1000,
      p50: Math.round(lat?.p50 ?? 0),
      p99: Math.round(lat?.p99 ?? 0),
      failed: lat?.failed ?? 0,
    };
  } finally {
    await sql.end();
    for (const p of procs) p.kill("SIGTERM");
    await Promise.all(procs.map((p) => p.exited));
    await ns.drop();
  }
}

export async function runE2eBench(): Promise<void> {
  const cloud = await startCloudsim();
  const seed = () => {
    cloud.aws.reset();
    cloud.azure.reset();
    for (let i = 0; i < USERS; i++) cloud.aws.seedUser(`user${i}`);
    cloud.azure.seedPrincipals(...AZ_PRINCIPALS.map((id) => ({ id, type: "User" as const })));
  };
  const results: RunResult[] = [];
  try {
    const runs: [string, { aws: number; azure: number }, (i: number) => "aws" | "azure"][] = [
      ["mixed aws+azure, 2 workers per provider", { aws: 2, azure: 2 }, (i) => (i % 2 ? "azure" : "aws")],
      ["aws only, 1 worker process", { aws: 1, azure: 0 }, () => "aws"],
      ["aws only, 2 worker processes", { aws: 2, azure: 0 }, () => "aws"],
      ["aws only, 4 worker processes", { aws: 4, azure: 0 }, () => "aws"],
    ];
    for (const [label, workers, mix] of runs) {
      seed();
      results.push(await oneRun(label, cloud, workers, mix));
      console.error(`done: ${label}`);
    }
  } finally {
    await cloud.stop();
  }
  console.log(
    `\nmachine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}; bun ${Bun.version}; ${N} requests per run, ${CONCURRENCY} concurrent POSTs; worker concurrency 10\n`,
  );
  console.log(
    "| run | requests | all POSTed (s) | all final (s) | req/s to final | p50 POST→SUCCESS ms | p99 ms | failed |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of results) {
    console.log(
      `| ${r.label} | ${r.requests} | ${r.postSeconds.toFixed(1)} | ${r.finalSeconds.toFixed(1)} | ${Math.round(r.requests / r.finalSeconds)} | ${r.p50} | ${r.p99} | ${r.failed} |`,
    );
  }
}
