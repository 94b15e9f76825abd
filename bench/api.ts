// `bun run bench api`: the real API process under autocannon (64 connections), against real
// PostgreSQL and Redis, next to a raw baseline measured in the same run: the same INSERT + LPUSH
// issued directly from this script with the same pool size. POST runs use a policy file of 100
// clients (100 API tokens), rate limits off and on, alternated; then a cached GET, and a fairness
// run: one client's POSTs alone and while another client hammers far over its limit.
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
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

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const POOL = 10; // the API's default DB_POOL_MAX: the baseline gets the same
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
    ["node", "node_modules/autocannon/autocannon.js", "--json", "-d", String(SECONDS), ...args],
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

/** The policy of the rate-limit runs: 100 clients; the measured ones with limits they never reach. */
const CLIENTS = 100;
const clientName = (i: number) => `client-${String(i).padStart(3, "0")}`;
const clientSecret = (i: number) => `bench-secret-${String(i).padStart(3, "0")}-0123456789abcdef`;
const MEASURED = 50; // in the middle of API_TOKENS: authentication compares all 100 digests anyway
const VICTIM = 51;
const HAMMER = 52;

async function writePolicy(dir: string): Promise<string> {
  const clients: Record<string, unknown> = {};
  for (let i = 0; i < CLIENTS; i++) {
    clients[clientName(i)] = {
      providers: ["aws"],
      aws: { policy_arns: ["arn:aws:iam::aws:policy/*"] },
      // Measured clients get a limit they never reach (overhead only); the hammer a small one.
      rate_limit:
        i === HAMMER ? { requests: 50, per: "PT1S", burst: 50 } : { requests: 1_000_000, per: "PT1S" },
    };
  }
  const path = join(dir, "bench-policy.json");
  await writeFile(path, JSON.stringify({ clients }));
  return path;
}

interface RunningApi {
  url: string;
  stop(): Promise<void>;
}

async function startApi(env: Record<string, string>): Promise<RunningApi> {
  const port = 18_000 + Math.floor(Math.random() * 2000);
  const api = Bun.spawn(["bun", "services/api/main.ts"], {
    env: {
      ...process.env,
      REDIS_URL: REDIS,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      NODE_ENV: "production",
      ...env,
    },
    stdout: "ignore",
    stderr: "inherit",
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForReady(url);
  return {
    url,
    async stop() {
      api.kill("SIGTERM");
      await api.exited;
    },
  };
}

const postArgs = (url: string, token: string, connections = CONNECTIONS) => [
  "-c",
  String(connections),
  "-m",
  "POST",
  "-H",
  "content-type=application/json",
  "-H",
  `authorization=Bearer ${token}`,
  "-b",
  JSON.stringify(payload),
  `${url}/api/v1/requests`,
];

export async function runApiBench(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "csb-bench-"));
  const policyFile = await writePolicy(dir);
  const tokens = Array.from({ length: CLIENTS }, (_, i) => `${clientName(i)}:${clientSecret(i)}`).join(",");
  const policyEnv = { API_TOKENS: tokens, POLICY_FILE: policyFile };
  const results: Result[] = [];
  const rounds = Number(process.env.BENCH_ROUNDS ?? 2);

  // One API process per run, each on a fresh database, so the table's growth favours no run.
  async function withApi<T>(
    env: Record<string, string>,
    fn: (api: RunningApi, dbUrl: string) => Promise<T>,
  ): Promise<T> {
    const ns = await benchNamespace();
    const api = await startApi({ DATABASE_URL: ns.dbUrl, REDIS_KEY_PREFIX: ns.prefix, ...env });
    try {
      return await fn(api, ns.dbUrl);
    } finally {
      await api.stop();
      await ns.drop();
    }
  }

  try {
    {
      const ns = await benchNamespace();
      try {
        results.push(await baseline(ns.dbUrl, ns.prefix));
      } finally {
        await ns.drop();
      }
    }
    // Limits off and on, alternated, so drift on the shared machine hits both alike.
    for (let round = 1; round <= rounds; round++) {
      for (const mode of ["off", "on"] as const) {
        const r = await withApi({ ...policyEnv, RATE_LIMITS: mode }, (api) =>
          autocannon(
            `API POST, 100-client policy, rate limits ${mode} (round ${round})`,
            postArgs(api.url, clientSecret(MEASURED)),
          ),
        );
        results.push(r);
      }
    }

    await withApi({ ...policyEnv, RATE_LIMITS: "on" }, async (api, dbUrl) => {
      const created = await fetch(`${api.url}/api/v1/requests`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${clientSecret(MEASURED)}` },
        body: JSON.stringify(payload),
      });
      const { correlation_id } = (await created.json()) as { correlation_id: string };
      // Settle it so GETs are served from the cache for the whole run.
      const s = postgres(dbUrl, { max: 1 });
      await s`UPDATE requests SET status = 'FAILED' WHERE correlation_id = ${correlation_id}`;
      await s.end();
      results.push(
        await autocannon("API GET /api/v1/requests/{id} (cached, limits on)", [
          "-c",
          String(CONNECTIONS),
          "-H",
          `authorization=Bearer ${clientSecret(MEASURED)}`,
          `${api.url}/api/v1/requests/${correlation_id}`,
        ]),
      );

      // Fairness: one client's POSTs alone, then the same while another client hammers far
      // over its limit (50/s) with as many connections.
      const half = Math.max(1, Math.floor(CONNECTIONS / 2));
      results.push(
        await autocannon(`victim POST alone (${half} conns)`, postArgs(api.url, clientSecret(VICTIM), half)),
      );
      const [victim, hammer] = await Promise.all([
        autocannon(
          `victim POST while another client hammers (${half} conns each)`,
          postArgs(api.url, clientSecret(VICTIM), half),
        ),
        autocannon(
          `hammering client, over its 50/s limit (${half} conns)`,
          postArgs(api.url, clientSecret(HAMMER), half),
        ),
      ]);
      results.push(victim, hammer);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
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
  const mean = (mode: string) => {
    const rs = results.filter((r) => r.name.includes(`rate limits ${mode}`));
    return rs.reduce((a, r) => a + r.rps, 0) / Math.max(1, rs.length);
  };
  const off = mean("off");
  const on = mean("on");
  console.log(
    `\nrate limits on vs off (mean of ${rounds} rounds each): ${Math.round(on)} vs ${Math.round(off)} POST/s, ` +
      `${(((off - on) / off) * 100).toFixed(1)}% overhead`,
  );
}
