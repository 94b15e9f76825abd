// `bun run bench api`: POST and cached GET through the real API process under autocannon
// (64 connections), against real PostgreSQL and Redis, next to a raw baseline measured in the
// same run: the same INSERT + LPUSH issued directly from this script with the same pool size.
import { randomUUID } from "node:crypto";
import { cpus } from "node:os";
import postgres from "postgres";
import { createSql } from "../lib/db/connect.ts";
import { insertRequest } from "../lib/db/requests.ts";
import { accessKeyOf } from "../lib/providers/access-key.ts";
import { enqueue } from "../lib/queue/enqueue.ts";
import { newJob } from "../lib/queue/job.ts";
import { createRedis } from "../lib/redis/connect.ts";
import { requestHash } from "../lib/requests/request-hash.ts";
import { principalOf, type RequestPayload } from "../lib/schemas/request.ts";
import { BENCH_REDIS, benchNamespace, waitForReady } from "./namespace.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const POOL = 10; // the API's default DB_POOL_MAX: the baseline gets the same
const TOKEN = "bench-secret-0123456789-abcdefghij";
const REDIS = BENCH_REDIS;

const payload = {
  provider: "aws",
  action: "grant",
  principal: { type: "user", name: "alice" },
  permission: { type: "managed_policy", policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
  duration: "PT2H",
  ticket: "CHG-1",
} satisfies RequestPayload;

interface Result {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function autocannon(name: string, args: string[]): Promise<Result> {
  // The load generator runs under Node in its own process so it does not share the API's loop.
  const p = Bun.spawn(
    [
      "node",
      "node_modules/autocannon/autocannon.js",
      "--json",
      "-c",
      String(CONNECTIONS),
      "-d",
      String(SECONDS),
      ...args,
    ],
    {
      stdout: "pipe",
      stderr: "ignore",
    },
  );
  const out = await new Response(p.stdout).text();
  await p.exited;
  const r = JSON.parse(out) as {
    requests: { average: number };
    latency: { p50: number; p99: number };
    errors: number;
    non2xx: number;
  };
  return {
    name,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors,
    non2xx: r.non2xx,
  };
}

async function baseline(dbUrl: string, prefix: string): Promise<Result> {
  const sql = createSql(dbUrl, { max: POOL });
  const redis = createRedis(REDIS, { keyPrefix: prefix });
  await new Promise<void>((r) => redis.once("ready", () => r()));
  const lat: number[] = [];
  const until = performance.now() + SECONDS * 1000;
  const loop = async () => {
    while (performance.now() < until) {
      const t = performance.now();
      const id = randomUUID();
      await insertRequest(sql, {
        correlationId: id,
        provider: "aws",
        action: "grant",
        client: "bench",
        payload,
        requestHash: requestHash(payload),
        idempotencyKey: null,
        accessKey: accessKeyOf(payload),
        principal: principalOf(payload),
        ticket: "CHG-1",
        requestedBy: null,
        expiresAt: new Date(Date.now() + 7200_000),
        durationMs: null,
      });
      await enqueue(
        redis,
        newJob({ correlation_id: id, provider: "aws", kind: "grant", request: payload }, Date.now()),
      );
      lat.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, loop));
  await sql.end();
  redis.disconnect();
  lat.sort((a, b) => a - b);
  const q = (p: number) => Math.round((lat[Math.floor((lat.length - 1) * p)] ?? 0) * 100) / 100;
  return {
    name: "baseline INSERT+LPUSH (no HTTP)",
    rps: lat.length / SECONDS,
    p50: q(0.5),
    p99: q(0.99),
    errors: 0,
    non2xx: 0,
  };
}

export async function runApiBench(): Promise<void> {
  const ns = await benchNamespace();
  const { dbUrl, prefix } = ns;
  const port = 18_000 + Math.floor(Math.random() * 2000);
  const api = Bun.spawn(["bun", "services/api/main.ts"], {
    env: {
      ...process.env,
      DATABASE_URL: dbUrl,
      REDIS_URL: REDIS,
      REDIS_KEY_PREFIX: prefix,
      PORT: String(port),
      HOST: "127.0.0.1",
      API_TOKENS: `bench:${TOKEN}`,
      LOG_LEVEL: "info",
      NODE_ENV: "production",
    },
    stdout: "ignore",
    stderr: "inherit",
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForReady(url);
  const results: Result[] = [];
  try {
    results.push(await baseline(dbUrl, prefix));
    results.push(
      await autocannon("API POST /api/v1/requests", [
        "-m",
        "POST",
        "-H",
        "content-type=application/json",
        "-H",
        `authorization=Bearer ${TOKEN}`,
        "-b",
        JSON.stringify(payload),
        `${url}/api/v1/requests`,
      ]),
    );
    const created = await fetch(`${url}/api/v1/requests`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(payload),
    });
    const { correlation_id } = (await created.json()) as { correlation_id: string };
    // Settle it so GETs are served from the cache for the whole run.
    const s = postgres(dbUrl, { max: 1 });
    await s`UPDATE requests SET status = 'FAILED' WHERE correlation_id = ${correlation_id}`;
    await s.end();
    results.push(
      await autocannon("API GET /api/v1/requests/{id} (cached)", [
        "-H",
        `authorization=Bearer ${TOKEN}`,
        `${url}/api/v1/requests/${correlation_id}`,
      ]),
    );
  } finally {
    api.kill("SIGTERM");
    await api.exited;
    await ns.drop();
  }

  const base = results[0]?.rps ?? 1;
  console.log(
    `\nmachine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}; bun ${Bun.version}; ${CONNECTIONS} connections, ${SECONDS} s each\n`,
  );
  console.log("| what | req/s | p50 ms | p99 ms | errors | non-2xx | vs baseline |");
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  for (const r of results) {
    console.log(
      `| ${r.name} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} | ${(r.rps / base).toFixed(2)}× |`,
    );
  }
}
