// `bun run bench api [--rounds N] [--seconds S] [--fairness] [--write-docs]`: our API process
// next to the bare reference server (bench/reference-server.ts: token check, JSON.parse, one
// INSERT, one LPUSH; GET = one Redis GET), both under autocannon with 64 connections against the
// same PostgreSQL and Redis, alternating, N rounds; medians and ratios ours ÷ reference. CPU per
// request is the server process's plus the PostgreSQL backends serving its pool (from /proc).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { writeDocsSection } from "./docs-section.ts";
import { BENCH_PG, BENCH_REDIS, benchNamespace, waitForReady } from "./namespace.ts";
import { totalCpuMs } from "./proc-cpu.ts";

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const WARMUP_SECONDS = 2;

const payload = {
  provider: "aws",
  action: "grant",
  principal: { type: "user", name: "alice" },
  permission: { type: "managed_policy", policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
  duration: "PT2H",
  ticket: "CHG-1",
};

interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  requests: number;
}

async function autocannon(seconds: number, args: string[]): Promise<Load> {
  // The load generator runs under Node in its own process so it does not share a server's loop.
  const p = Bun.spawn(
    ["node", "node_modules/autocannon/autocannon.js", "--json", "-d", String(seconds), ...args],
    { stdout: "pipe", stderr: "ignore" },
  );
  const out = await new Response(p.stdout).text();
  await p.exited;
  const r = JSON.parse(out) as {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number };
    errors: number;
    non2xx: number;
  };
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors,
    non2xx: r.non2xx,
    requests: r.requests.total,
  };
}

/** The policy of our runs: 100 clients, the measured one with a limit it never reaches. */
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
      rate_limit:
        i === HAMMER ? { requests: 50, per: "PT1S", burst: 50 } : { requests: 1_000_000, per: "PT1S" },
    };
  }
  const path = join(dir, "bench-policy.json");
  await writeFile(path, JSON.stringify({ clients }));
  return path;
}

type Kind = "reference" | "ours";

interface Server {
  kind: Kind;
  url: string;
  token: string;
  pid: number;
  dbUrl: string;
  dbName: string;
  prefix: string;
  stop(): Promise<void>;
}

async function startServer(kind: Kind, policyFile: string): Promise<Server> {
  const ns = await benchNamespace();
  const port = 18_000 + Math.floor(Math.random() * 2000);
  const token = kind === "ours" ? clientSecret(MEASURED) : "bench-reference-token-0123456789";
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    DATABASE_URL: ns.dbUrl,
    REDIS_URL: BENCH_REDIS,
    REDIS_KEY_PREFIX: ns.prefix,
    PORT: String(port),
    HOST: "127.0.0.1",
  };
  const tokens = Array.from({ length: CLIENTS }, (_, i) => `${clientName(i)}:${clientSecret(i)}`).join(",");
  const proc =
    kind === "ours"
      ? Bun.spawn(["bun", "services/api/main.ts"], {
          // Production settings: a JSON log line per request (to /dev/null), limits on, guardrails.
          env: {
            ...env,
            NODE_ENV: "production",
            LOG_LEVEL: "info",
            API_TOKENS: tokens,
            POLICY_FILE: policyFile,
          },
          stdout: "ignore",
          stderr: "inherit",
        })
      : Bun.spawn(["bun", "bench/reference-server.ts"], {
          env: { ...env, TOKEN: token },
          stdout: "ignore",
          stderr: "inherit",
        });
  const url = `http://127.0.0.1:${port}`;
  await waitForReady(url);
  return {
    kind,
    url,
    token,
    pid: proc.pid,
    dbUrl: ns.dbUrl,
    dbName: new URL(ns.dbUrl).pathname.slice(1),
    prefix: ns.prefix,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
      await ns.drop();
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

const getArgs = (url: string, token: string, id: string) => [
  "-c",
  String(CONNECTIONS),
  "-H",
  `authorization=Bearer ${token}`,
  `${url}/api/v1/requests/${id}`,
];

/** The PostgreSQL backends of a database (the server's pool), whose CPU counts as the server's. */
async function backendPids(admin: postgres.Sql, dbName: string): Promise<number[]> {
  const rows = await admin<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE datname = ${dbName}`;
  return rows.map((r) => r.pid);
}

interface Measured extends Load {
  /** CPU of the server process per request, ms. */
  serverCpuMs: number;
  /** CPU of its PostgreSQL backends per request, ms. */
  pgCpuMs: number;
}

async function measure(admin: postgres.Sql, s: Server, seconds: number, args: string[]): Promise<Measured> {
  await autocannon(WARMUP_SECONDS, args); // JIT, pool and connections warm; not counted
  const pids = [s.pid, ...(await backendPids(admin, s.dbName))];
  const before = pids.map((p) => totalCpuMs([p]));
  const load = await autocannon(seconds, args);
  const after = pids.map((p) => totalCpuMs([p]));
  const delta = after.map((a, i) => a - (before[i] ?? 0));
  const n = Math.max(1, load.requests);
  return {
    ...load,
    serverCpuMs: (delta[0] ?? 0) / n,
    pgCpuMs: delta.slice(1).reduce((a, b) => a + b, 0) / n,
  };
}

/** A settled request in the server's cache, so every GET is a cache hit. */
async function cachedId(s: Server): Promise<string> {
  const created = await fetch(`${s.url}/api/v1/requests`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${s.token}` },
    body: JSON.stringify(payload),
  });
  const { correlation_id: id } = (await created.json()) as { correlation_id: string };
  const sql = postgres(s.dbUrl, { max: 1, onnotice: () => {} });
  await sql`UPDATE requests SET status = 'FAILED' WHERE correlation_id = ${id}`;
  await sql.end();
  if (s.kind === "ours") {
    const r = await fetch(`${s.url}/api/v1/requests/${id}`, {
      headers: { authorization: `Bearer ${s.token}` },
    });
    if (r.status !== 200) throw new Error(`GET → ${r.status}`);
    await r.arrayBuffer();
  } else {
    // The reference only reads the cache: give it the same entry ours would have cached.
    const redis = new (await import("ioredis")).Redis(BENCH_REDIS, { keyPrefix: s.prefix });
    await redis.set(id, JSON.stringify({ correlation_id: id, status: "FAILED", ...payload }));
    redis.disconnect();
  }
  return id;
}

interface Round {
  round: number;
  kind: Kind;
  post: Measured;
  get: Measured;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

export async function runApiBench(argv: readonly string[] = process.argv.slice(3)): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      rounds: { type: "string", default: process.env.BENCH_ROUNDS ?? "3" },
      seconds: { type: "string", default: process.env.BENCH_SECONDS ?? "10" },
      fairness: { type: "boolean", default: false },
      "write-docs": { type: "boolean", default: false },
    },
  });
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  if (!Number.isInteger(rounds) || rounds < 1 || !(seconds >= 1)) {
    throw new Error("usage: bun run bench api [--rounds N] [--seconds S] [--fairness] [--write-docs]");
  }
  const dir = await mkdtemp(join(tmpdir(), "csb-bench-"));
  const policyFile = await writePolicy(dir);
  const admin = postgres(BENCH_PG, { max: 1, onnotice: () => {} });
  const results: Round[] = [];
  const lines: string[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      // Alternate which goes first, so drift on the shared machine favours neither.
      const order: Kind[] = round % 2 ? ["reference", "ours"] : ["ours", "reference"];
      for (const kind of order) {
        const s = await startServer(kind, policyFile);
        try {
          const post = await measure(admin, s, seconds, postArgs(s.url, s.token));
          const id = await cachedId(s);
          const get = await measure(admin, s, seconds, getArgs(s.url, s.token, id));
          results.push({ round, kind, post, get });
          console.error(
            `round ${round} ${kind}: POST ${Math.round(post.rps)}/s, GET ${Math.round(get.rps)}/s`,
          );
        } finally {
          await s.stop();
        }
      }
    }
    lines.push(
      `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}; Bun ${Bun.version}; ${CONNECTIONS} connections, ` +
        `${seconds} s per run after ${WARMUP_SECONDS} s of warm-up, ${rounds} alternating rounds; ` +
        `command \`bun run bench api --rounds ${rounds} --seconds ${seconds}\`.`,
      "",
      "| round | server | POST/s | POST p50 ms | POST p99 ms | POST CPU ms (server + PG) | GET/s | GET p50 ms | GET p99 ms | GET CPU ms | errors + non-2xx |",
      "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    );
    const cpu = (m: Measured) =>
      `${(m.serverCpuMs + m.pgCpuMs).toFixed(3)} (${m.serverCpuMs.toFixed(3)} + ${m.pgCpuMs.toFixed(3)})`;
    for (const r of results) {
      lines.push(
        `| ${r.round} | ${r.kind} | ${Math.round(r.post.rps)} | ${r.post.p50} | ${r.post.p99} | ${cpu(r.post)} | ` +
          `${Math.round(r.get.rps)} | ${r.get.p50} | ${r.get.p99} | ${cpu(r.get)} | ` +
          `${r.post.errors + r.post.non2xx + r.get.errors + r.get.non2xx} |`,
      );
    }
    const med = (kind: Kind, f: (r: Round) => number) =>
      median(results.filter((r) => r.kind === kind).map(f));
    const ratio = (f: (r: Round) => number) => med("ours", f) / med("reference", f);
    const postRps = ratio((r) => r.post.rps);
    const postP99 = ratio((r) => r.post.p99);
    const getRps = ratio((r) => r.get.rps);
    const postCpu = (k: Kind) => med(k, (r) => r.post.serverCpuMs + r.post.pgCpuMs);
    lines.push(
      "",
      `Medians, ours ÷ reference: **POST ${postRps.toFixed(2)}×** (${Math.round(med("ours", (r) => r.post.rps))} vs ` +
        `${Math.round(med("reference", (r) => r.post.rps))}/s; goal ≥ 0.80×), POST p99 ${postP99.toFixed(2)}× ` +
        `(${med("ours", (r) => r.post.p99)} vs ${med("reference", (r) => r.post.p99)} ms; goal ≤ 1.5×), ` +
        `**cached GET ${getRps.toFixed(2)}×** (${Math.round(med("ours", (r) => r.get.rps))} vs ` +
        `${Math.round(med("reference", (r) => r.get.rps))}/s; goal ≥ 0.80×). CPU per POST (API + PostgreSQL ` +
        `backends): ${postCpu("ours").toFixed(3)} vs ${postCpu("reference").toFixed(3)} ms.`,
    );
    if (values.fairness) lines.push("", ...(await fairness(policyFile, seconds)));
  } finally {
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
  console.log(`\n${lines.join("\n")}`);
  if (values["write-docs"]) await writeDocsSection("API", [...API_METHOD, "", ...lines]);
}

const API_METHOD = [
  "Command: `bun run bench api` (`--rounds`, default 3; `--seconds`, default 10; `--fairness` adds the",
  "run below). **Ours** is the real API process as deployed: `NODE_ENV=production`, `LOG_LEVEL=info`",
  "(one JSON line per request, to /dev/null), a policy file of 100 clients and 100 tokens with",
  "guardrails and per-client rate limits on (the measured client's limit is one it never reaches), the",
  "audit row, idempotency, metrics. **The reference** is bench/reference-server.ts: the same Bun, Hono,",
  "postgres.js and ioredis, doing only a bearer-token compare, JSON.parse, one INSERT into the same",
  "`requests` table and one LPUSH (GET: one Redis GET of the same cached entry). Each run gets a fresh",
  "database, its own process and a 2 s warm-up; the two alternate, first one then the other, and the",
  "ratios are of medians. CPU per request is read from /proc: the server process plus the PostgreSQL",
  "backends of its database, before and after the run. autocannon 9 runs under Node in its own process.",
];

/** One client's POSTs alone, then while another hammers far over its 50/s limit. */
async function fairness(policyFile: string, seconds: number): Promise<string[]> {
  const s = await startServer("ours", policyFile);
  try {
    const half = Math.max(1, Math.floor(CONNECTIONS / 2));
    await autocannon(WARMUP_SECONDS, postArgs(s.url, clientSecret(VICTIM), half));
    const alone = await autocannon(seconds, postArgs(s.url, clientSecret(VICTIM), half));
    const [victim, hammer] = await Promise.all([
      autocannon(seconds, postArgs(s.url, clientSecret(VICTIM), half)),
      autocannon(seconds, postArgs(s.url, clientSecret(HAMMER), half)),
    ]);
    return [
      "| fairness run | req/s | p50 ms | p99 ms | non-2xx |",
      "|---|---:|---:|---:|---:|",
      `| victim POST alone (${half} conns) | ${Math.round(alone.rps)} | ${alone.p50} | ${alone.p99} | ${alone.non2xx} |`,
      `| victim POST while another client hammers (${half} conns each) | ${Math.round(victim.rps)} | ${victim.p50} | ${victim.p99} | ${victim.non2xx} |`,
      `| hammering client, over its 50/s limit | ${Math.round(hammer.rps)} | ${hammer.p50} | ${hammer.p99} | ${hammer.non2xx} |`,
    ];
  } finally {
    await s.stop();
  }
}
