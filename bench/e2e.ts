// `bun run bench e2e`: a burst of grants (then their early revocations) through the real services,
// POST → SUCCESS, on a private stack so every counter counts only our work: a throwaway PostgreSQL
// cluster (initdb, pg_stat_statements preloaded), a throwaway redis-server, and cloudsim as its own
// process. Per grant it reports wall throughput, CPU of every process (/proc/<pid>/stat), SQL
// statements, Redis commands and cloud calls by action; with --baseline <dir> it runs the services
// of another checkout too, alternating with ours in each round, and prints ours/baseline ratios.
// Prints markdown; with --write-docs it replaces the "End to end" section of docs/benchmarks.md.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { createRedis, type Redis } from "../lib/redis/connect.ts";
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_TENANT_ID,
} from "../services/cloudsim/sim/azure/index.ts";
import { freePort } from "../tests/helpers/throwaway.ts";
import { writeDocsSection } from "./docs-section.ts";
import { processCpuMs } from "./proc-cpu.ts";

const OURS = resolve(import.meta.dir, "..");
const TOKEN = "bench-secret-0123456789-abcdefghij";
const SERVICE_ROLE = "csb_svc";
const POST_CONCURRENCY = 32;
const UUID_OID = 2950;
const POLICIES = [
  "ReadOnlyAccess",
  "SecurityAudit",
  "ViewOnlyAccess",
  "IAMReadOnlyAccess",
  "AmazonS3ReadOnlyAccess",
];
const AZURE_ROLES = ["Reader", "Contributor"];
const SCOPE = "/subscriptions/6f1d2b7a-0c1e-4a7b-9d3e-5c2a1b0f9e8d/resourceGroups/rg-bench";
/** Fewest cloud calls a grant can take: AWS must read (is it attached already?) and write; ARM's PUT is both. */
const MIN_CALLS_PER_GRANT: Record<Cloud, number> = { aws: 2, azure: 1 };

type Cloud = "aws" | "azure";
type System = "ours" | "baseline";

/** The workers' shared call budget as a share of the account's rate limit, in a limited scenario. */
const BUDGET_SHARE = 0.95;

interface Scenario {
  name: string;
  latencyMs: number;
  ratePerSecond: number;
  /** QUEUE_CONCURRENCY of each worker process; undefined: the service's default. */
  concurrency: number | undefined;
  /** The rate limit's bucket depth; small, so a burst of a hundred grants is not served mostly by it. */
  burst: number;
}

// ---------------------------------------------------------------------------------------------
// Cleanup: every process and directory the bench makes is undone on exit, error or signal.

const cleanups: (() => Promise<void> | void)[] = [];
/** The services of the run in progress: stopped first, before what they connect to. */
const liveServices = new Set<Proc>();
let cleaning: Promise<void> | undefined;
function cleanupAll(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.all([...liveServices].map((p) => stopProc(p)));
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        console.error("cleanup:", err instanceof Error ? err.message : err);
      }
    }
  })();
  return cleaning;
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: cleaning up`);
    void cleanupAll().then(() => process.exit(130));
  });
}

async function run(
  cmd: string[],
  opts: { asPostgres?: boolean; cwd?: string; env?: Record<string, string> } = {},
) {
  const argv =
    opts.asPostgres && process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", ...cmd] : cmd;
  const p = Bun.spawn(argv, { cwd: opts.cwd, env: opts.env, stdout: "pipe", stderr: "pipe" });
  const [code, out, err] = await Promise.all([
    p.exited,
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
  ]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited ${code}: ${err || out}`);
  return out;
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await Bun.sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

type Proc = ReturnType<typeof Bun.spawn>;

async function stopProc(p: Proc, graceMs = 5000): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  p.kill("SIGTERM");
  const timer = setTimeout(() => p.kill("SIGKILL"), graceMs);
  await p.exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// The private stack: PostgreSQL cluster, redis-server, cloudsim.

interface Pg {
  port: number;
  url(db: string, user?: string): string;
  postmasterPid(): number;
  /** pg_stat_statements when it loads; otherwise statements are counted from the statement log. */
  statementsVia: "pg_stat_statements" | "log_statement";
  logFile: string;
}

async function startPg(): Promise<Pg> {
  const port = freePort();
  const dir = mkdtempSync(join(tmpdir(), "csb-e2e-pg-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const data = join(dir, "data");
  const logFile = join(dir, "log");
  if (process.getuid?.() === 0) await run(["chown", "postgres", dir]);
  await run(["initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"], {
    asPostgres: true,
  });
  const base = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=off -c max_connections=300`;
  const start = (extra: string) =>
    run(["pg_ctl", "-D", data, "-o", `${base} ${extra}`, "-l", logFile, "-w", "start"], { asPostgres: true });
  cleanups.push(() =>
    run(["pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"], { asPostgres: true }).then(() => {}),
  );
  let statementsVia: Pg["statementsVia"] = "pg_stat_statements";
  try {
    await start("-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_utility=on");
  } catch {
    // No pg_stat_statements library: log every statement with its user and database instead.
    statementsVia = "log_statement";
    await start("-c log_statement=all -c log_line_prefix='%u@%d '");
  }
  const url = (db: string, user = "postgres") => `postgres://${user}@127.0.0.1:${port}/${db}`;
  const admin = postgres(url("postgres"), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE ROLE ${SERVICE_ROLE} LOGIN SUPERUSER`);
    if (statementsVia === "pg_stat_statements") await admin.unsafe("CREATE EXTENSION pg_stat_statements");
  } finally {
    await admin.end();
  }
  return {
    port,
    url,
    postmasterPid: () => Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]),
    statementsVia,
    logFile,
  };
}

/** The postmaster and every process it forked (backends, writers, autovacuum). */
function clusterPids(postmaster: number): number[] {
  const pids = [postmaster];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === postmaster) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

interface RedisServer {
  url: string;
  pid: number;
}

async function startRedis(): Promise<RedisServer> {
  const port = freePort();
  const proc = Bun.spawn(
    ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdout: "ignore", stderr: "ignore" },
  );
  cleanups.push(() => stopProc(proc));
  const url = `redis://127.0.0.1:${port}`;
  await waitFor(async () => {
    const c = Bun.spawn(["redis-cli", "-p", String(port), "ping"], { stdout: "pipe", stderr: "ignore" });
    return (await new Response(c.stdout).text()).trim() === "PONG";
  }, `redis on ${port}`);
  return { url, pid: proc.pid };
}

interface Cloudsim {
  awsUrl: string;
  azureUrl: string;
  caFile: string;
  pid: number;
}

async function startCloudsimProcess(): Promise<Cloudsim> {
  const dir = mkdtempSync(join(tmpdir(), "csb-e2e-sim-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const awsPort = freePort();
  const azurePort = freePort();
  const caFile = join(dir, "ca.pem");
  const proc = Bun.spawn(["bun", "services/cloudsim/main.ts"], {
    cwd: OURS,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/root",
      CLOUDSIM_AWS_PORT: String(awsPort),
      CLOUDSIM_AZURE_PORT: String(azurePort),
      CLOUDSIM_CA_FILE: caFile,
      LOG_LEVEL: "error",
    },
    stdout: "ignore",
    stderr: "inherit",
  });
  cleanups.push(() => stopProc(proc));
  const awsUrl = `http://127.0.0.1:${awsPort}`;
  await waitFor(async () => (await fetch(`${awsUrl}/healthz`)).ok, "cloudsim");
  return { awsUrl, azureUrl: `https://127.0.0.1:${azurePort}`, caFile, pid: proc.pid };
}

async function sim(cloud: Cloudsim, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${cloud.awsUrl}/_sim/${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`cloudsim ${path} → ${res.status}: ${await res.text()}`);
  return res.json();
}

interface SimState {
  aws: { requests: Record<string, number>; mutations: Record<string, number> };
  azure: { calls: Record<string, number> };
  throttles: { aws: { throttled: number }; azure: { throttled: number } };
}

/** Cloud calls so far by action, and throttles answered, for one cloud. */
async function cloudCounters(
  cloud: Cloudsim,
  which: Cloud,
): Promise<{ calls: Record<string, number>; throttled: number }> {
  const s = (await sim(cloud, "state")) as SimState;
  if (which === "aws") return { calls: { ...s.aws.requests }, throttled: s.throttles.aws.throttled };
  const calls = Object.fromEntries(
    Object.entries(s.azure.calls).filter(([k, v]) => k !== "mutating" && v > 0),
  );
  return { calls, throttled: s.throttles.azure.throttled };
}

// ---------------------------------------------------------------------------------------------
// One run: fresh database from the system's template, flushed Redis, reset cloud, spawned services.

interface Phase {
  n: number;
  seconds: number;
  cpuMs: Record<string, number>;
  sql: number;
  redis: number;
  calls: Record<string, number>;
  throttled: number;
  /** Calls the cloud answered (throttled attempts left out). */
  accepted: number;
  failed: number;
  topSql: { query: string; calls: number }[];
  topRedis: [string, number][];
}

interface RunResult {
  grant: Phase;
  revoke: Phase | undefined;
}

interface Stack {
  pg: Pg;
  redis: RedisServer;
  redisAdmin: Redis;
  cloud: Cloudsim;
  templates: Record<System, string>;
  dirs: Record<System, string>;
}

/** Grant `i` of a burst of `n`: two grants per principal, of different accesses. `warm`: the warm-up's principals. */
function requestBody(cloud: Cloud, i: number, n: number, warm: boolean) {
  if (cloud === "aws") {
    const users = Math.ceil(n / 2);
    const policy = POLICIES[Math.floor(i / users) % POLICIES.length] ?? "ReadOnlyAccess";
    return {
      provider: "aws",
      action: "grant",
      principal: { type: "user", name: awsUser(i % users, warm) },
      permission: {
        type: "managed_policy",
        policy_arn: `arn:aws:iam::aws:policy/${policy === "ViewOnlyAccess" ? "job-function/" : ""}${policy}`,
      },
      duration: "PT1H",
    };
  }
  const principals = Math.ceil(n / 2);
  return {
    provider: "azure",
    action: "grant",
    principal: { id: azurePrincipal(i % principals, warm), type: "User" },
    role: { name: AZURE_ROLES[Math.floor(i / principals) % AZURE_ROLES.length] },
    scope: SCOPE,
    duration: "PT1H",
  };
}

const awsUser = (i: number, warm: boolean) => `${warm ? "warm" : "user"}${i}`;
const azurePrincipal = (i: number, warm: boolean) =>
  `0b9f7c1e-6a53-4b5e-9a39-${warm ? "9" : "0"}${String(i).padStart(11, "0")}`;

async function oneRun(
  stack: Stack,
  system: System,
  cloudName: Cloud,
  workers: number,
  scenario: Scenario,
  n: number,
  warmup: number,
  withRevoke: boolean,
  /** Where each service writes a markdown CPU profile on exit (bun --cpu-prof-md); undefined: none. */
  profileDir: string | undefined,
): Promise<RunResult> {
  const { pg, cloud, redisAdmin } = stack;
  const dir = stack.dirs[system];
  const db = `run_${randomBytes(4).toString("hex")}`;
  const admin = postgres(pg.url("postgres"), { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${db} TEMPLATE ${stack.templates[system]}`);
  const watch = postgres(pg.url(db), { max: 1, onnotice: () => {} });
  const procs: { role: string; proc: Proc }[] = [];
  try {
    await redisAdmin.flushall();
    await sim(cloud, "reset", {});
    const manners = {
      latencyMs: scenario.latencyMs,
      ratePerSecond: scenario.ratePerSecond,
      burst: scenario.burst,
    };
    await sim(cloud, "faults", { aws: manners, azure: manners });
    const principals = (count: number, warm: boolean) =>
      Array.from({ length: Math.ceil(count / 2) }, (_, i) => [i, warm] as const);
    const seeded = [...principals(n, false), ...principals(warmup, true)];
    await sim(
      cloud,
      "seed",
      cloudName === "aws"
        ? { aws: { users: seeded.map(([i, warm]) => ({ name: awsUser(i, warm) })) } }
        : {
            azure: { principals: seeded.map(([i, warm]) => ({ id: azurePrincipal(i, warm), type: "User" })) },
          },
    );

    const port = freePort();
    const common = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/root",
      DATABASE_URL: pg.url(db, SERVICE_ROLE),
      REDIS_URL: stack.redis.url,
      LOG_LEVEL: "warn",
      METRICS_PORT: "0",
      METRICS_HOST: "127.0.0.1",
    };
    const cloudEnv = {
      AWS_ENDPOINT_URL_IAM: cloud.awsUrl,
      AWS_ACCESS_KEY_ID: "AKIABENCH",
      AWS_SECRET_ACCESS_KEY: "bench",
      AZURE_TENANT_ID: DEFAULT_TENANT_ID,
      AZURE_CLIENT_ID: DEFAULT_CLIENT_ID,
      AZURE_CLIENT_SECRET: DEFAULT_CLIENT_SECRET,
      AZURE_AUTHORITY_HOST: cloud.azureUrl,
      AZURE_ARM_ENDPOINT: cloud.azureUrl,
      AZURE_CA_FILE: cloud.caFile,
    };
    const profileFlags = (role: string): string[] =>
      profileDir === undefined
        ? []
        : [
            "--cpu-prof-md",
            `--cpu-prof-dir=${profileDir}`,
            `--cpu-prof-name=${system}-${scenario.name}-${cloudName}-x${workers}-${role}-${procs.length}-${db}.md`,
          ];
    const spawn = (role: string, entry: string, env: Record<string, string>) => {
      const proc = Bun.spawn(["bun", ...profileFlags(role), entry], {
        cwd: dir,
        env: { ...common, ...env },
        stdout: "ignore",
        stderr: "inherit",
      });
      liveServices.add(proc);
      procs.push({ role, proc });
    };
    spawn("api", "services/api/main.ts", {
      PORT: String(port),
      HOST: "127.0.0.1",
      API_TOKENS: `bench:${TOKEN}`,
      NODE_ENV: "production",
      RATE_LIMITS: "off",
    });
    spawn("scheduler", "services/scheduler/main.ts", cloudEnv);
    const concurrency = scenario.concurrency ?? 10;
    for (let i = 0; i < workers; i++) {
      spawn("workers", "services/worker/main.ts", {
        ...cloudEnv,
        WORKER_PROVIDER: cloudName,
        QUEUE_CONCURRENCY: String(concurrency),
        // The shared call budget (lib/providers/budget) sized to the account's limit, a little
        // under it (clocks and network jitter); off where the scenario has no limit. A baseline
        // without the budget ignores both.
        ...(scenario.ratePerSecond > 0
          ? {
              CLOUD_CALLS_PER_SECOND: String(scenario.ratePerSecond * BUDGET_SHARE),
              CLOUD_CALL_BURST: String(Math.max(1, scenario.burst)),
            }
          : { CLOUD_CALLS_PER_SECOND: "0" }),
      });
    }
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200, "the API");
    await waitFor(
      async () => (await redisAdmin.zcard(`queue:${cloudName}:workers`)) >= workers * concurrency,
      "the workers' heartbeats",
    );
    await Bun.sleep(300);
    const [watchPid] = await watch<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
    const [adminPid] = await admin<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
    const ownBackends = new Set([watchPid?.pid, adminPid?.pid]);
    const [dbRow] = await admin<
      { oid: number }[]
    >`SELECT oid::int AS oid FROM pg_database WHERE datname = ${db}`;
    const dbOid = dbRow?.oid ?? 0;

    const cpuNow = (): Map<string, Map<number, number>> => {
      const byRole = new Map<string, Map<number, number>>();
      const add = (role: string, pid: number) => {
        const ms = processCpuMs(pid);
        if (ms === undefined) return;
        const m = byRole.get(role) ?? new Map<number, number>();
        m.set(pid, ms);
        byRole.set(role, m);
      };
      for (const p of procs) add(p.role, p.proc.pid);
      for (const pid of clusterPids(pg.postmasterPid())) if (!ownBackends.has(pid)) add("postgres", pid);
      add("redis", stack.redis.pid);
      add("cloudsim", cloud.pid);
      return byRole;
    };
    const logSize = () => (pg.statementsVia === "log_statement" ? statSync(pg.logFile).size : 0);

    const measure = async (
      work: () => Promise<{ n: number; seconds: () => Promise<number>; failed: () => Promise<number> }>,
    ) => {
      if (pg.statementsVia === "pg_stat_statements") await admin`SELECT pg_stat_statements_reset()`;
      await redisAdmin.config("RESETSTAT");
      const logFrom = logSize();
      const callsBefore = await cloudCounters(cloud, cloudName);
      const cpuBefore = cpuNow();
      const done = await work();
      const cpuAfter = cpuNow();
      const callsAfter = await cloudCounters(cloud, cloudName);
      const cpuMs: Record<string, number> = {};
      for (const [role, pids] of cpuAfter) {
        let sum = 0;
        for (const [pid, ms] of pids) sum += ms - (cpuBefore.get(role)?.get(pid) ?? 0);
        cpuMs[role] = sum;
      }
      const calls: Record<string, number> = {};
      for (const [k, v] of Object.entries(callsAfter.calls)) {
        const d = v - (callsBefore.calls[k] ?? 0);
        if (d > 0) calls[k] = d;
      }
      let sql = 0;
      let topSql: { query: string; calls: number }[] = [];
      if (pg.statementsVia === "pg_stat_statements") {
        topSql = await admin<{ query: string; calls: number }[]>`
          SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS query, sum(calls)::int AS calls
          FROM pg_stat_statements
          WHERE dbid = ${dbOid} AND userid = (SELECT oid FROM pg_roles WHERE rolname = ${SERVICE_ROLE})
          GROUP BY 1 ORDER BY 2 DESC`;
        sql = topSql.reduce((s, r) => s + r.calls, 0);
      } else {
        const text = readFileSync(pg.logFile, "utf8").slice(logFrom);
        const re = new RegExp(`^${SERVICE_ROLE}@${db} LOG:  (statement|execute)`, "gm");
        sql = text.match(re)?.length ?? 0;
      }
      const stats = await redisAdmin.info("commandstats");
      const topRedis: [string, number][] = [];
      for (const m of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
        const [, cmd, count] = m;
        // The bench's own INFO and CONFIG RESETSTAT (`config|resetstat` since Redis 7).
        if (cmd === undefined || cmd === "info" || cmd.startsWith("config")) continue;
        topRedis.push([cmd, Number(count)]);
      }
      topRedis.sort((a, b) => b[1] - a[1]);
      return {
        n: done.n,
        seconds: await done.seconds(),
        cpuMs,
        sql,
        redis: topRedis.reduce((s, [, c]) => s + c, 0),
        calls,
        throttled: callsAfter.throttled - callsBefore.throttled,
        // IAM's counter counts every attempt (throttled ones too), ARM's only the calls it served.
        accepted:
          Object.values(calls).reduce((sum, c) => sum + c, 0) -
          (cloudName === "aws" ? callsAfter.throttled - callsBefore.throttled : 0),
        failed: await done.failed(),
        topSql: topSql.slice(0, 12),
        topRedis: topRedis.slice(0, 12),
      };
    };

    /** POSTs `count` grants, POST_CONCURRENCY at a time, and waits until every one is final; their ids. */
    const burst = async (count: number, warm: boolean): Promise<string[]> => {
      const ids: string[] = [];
      let next = 0;
      const post = async () => {
        while (next < count) {
          const i = next++;
          const res = await fetch(`${url}/api/v1/requests`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
            body: JSON.stringify(requestBody(cloudName, i, count, warm)),
          });
          if (res.status !== 202) throw new Error(`POST → ${res.status}: ${await res.text()}`);
          const body = (await res.json()) as { correlation_id: string };
          ids.push(body.correlation_id);
        }
      };
      await Promise.all(Array.from({ length: POST_CONCURRENCY }, post));
      await waitFor(
        async () => {
          const [r] = await watch<{ n: number }[]>`
            SELECT count(*)::int AS n FROM requests
            WHERE correlation_id = ANY(${watch.array(ids, UUID_OID)}) AND status IN ('SUCCESS', 'FAILED')`;
          return (r?.n ?? 0) >= count;
        },
        `${count} grants final`,
        300_000,
      );
      return ids;
    };
    // Every process's JIT warms up on the same code paths first, so the burst measures steady state.
    if (warmup > 0) await burst(warmup, true);

    let ids: string[] = [];
    const grant = await measure(async () => {
      ids = await burst(n, false);
      const these = watch.array(ids, UUID_OID);
      return {
        n,
        seconds: async () => {
          const [r] = await watch<{ s: number }[]>`
            SELECT extract(epoch FROM max(completed_at) - min(received_at))::float8 AS s
            FROM requests WHERE correlation_id = ANY(${these})`;
          return r?.s ?? Number.NaN;
        },
        failed: async () => {
          const [r] = await watch<{ n: number }[]>`
            SELECT count(*)::int AS n FROM requests WHERE correlation_id = ANY(${these}) AND status = 'FAILED'`;
          return r?.n ?? 0;
        },
      };
    });

    let revoke: Phase | undefined;
    if (withRevoke) {
      revoke = await measure(async () => {
        const started = performance.now();
        let next = 0;
        const post = async () => {
          while (next < ids.length) {
            const id = ids[next++];
            const res = await fetch(`${url}/api/v1/requests/${id}/revoke`, {
              method: "POST",
              headers: { authorization: `Bearer ${TOKEN}` },
            });
            if (res.status !== 202) throw new Error(`POST revoke → ${res.status}: ${await res.text()}`);
            await res.arrayBuffer();
          }
        };
        await Promise.all(Array.from({ length: POST_CONCURRENCY }, post));
        await waitFor(
          async () => {
            const [r] = await watch<{ n: number }[]>`
              SELECT count(*)::int AS n FROM requests
              WHERE correlation_id = ANY(${watch.array(ids, UUID_OID)})
                AND revocation_status IN ('REVOKED', 'FAILED', 'SKIPPED')`;
            return (r?.n ?? 0) >= ids.length;
          },
          `${ids.length} revocations final`,
          300_000,
        );
        const seconds = (performance.now() - started) / 1000;
        return {
          n: ids.length,
          seconds: async () => seconds,
          failed: async () => {
            const [r] = await watch<{ n: number }[]>`
              SELECT count(*)::int AS n FROM requests
              WHERE correlation_id = ANY(${watch.array(ids, UUID_OID)}) AND revocation_status <> 'REVOKED'`;
            return r?.n ?? 0;
          },
        };
      });
    }
    return { grant, revoke };
  } finally {
    await Promise.all(
      procs.map(async (p) => {
        await stopProc(p.proc);
        liveServices.delete(p.proc);
      }),
    );
    await watch.end({ timeout: 5 });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end({ timeout: 5 });
  }
}

// ---------------------------------------------------------------------------------------------
// Reporting.

function median(xs: readonly number[]): number {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

const f = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : "–");
const ratio = (a: number, b: number) =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : "–";

/** Per-unit medians of one phase over rounds. */
function summarize(phases: readonly Phase[]) {
  const per = (pick: (p: Phase) => number) => median(phases.map((p) => pick(p) / p.n));
  const roles = new Set(phases.flatMap((p) => Object.keys(p.cpuMs)));
  const cpu: Record<string, number> = {};
  for (const r of roles) cpu[r] = per((p) => p.cpuMs[r] ?? 0);
  const actions = new Set(phases.flatMap((p) => Object.keys(p.calls)));
  const calls: Record<string, number> = {};
  for (const a of actions) calls[a] = per((p) => p.calls[a] ?? 0);
  const total = per((p) =>
    Object.entries(p.cpuMs).reduce((s, [r, ms]) => (r === "cloudsim" ? s : s + ms), 0),
  );
  return {
    rate: median(phases.map((p) => p.n / p.seconds)),
    cpuTotal: total,
    cpu,
    sql: per((p) => p.sql),
    redis: per((p) => p.redis),
    calls,
    accepted: per((p) => p.accepted),
    throttledPer: per((p) => p.throttled),
    throttled: median(phases.map((p) => p.throttled)),
    failed: Math.max(...phases.map((p) => p.failed)),
  };
}

type Summary = ReturnType<typeof summarize>;

const callsText = (calls: Record<string, number>) =>
  Object.entries(calls)
    .sort((a, b) => b[1] - a[1])
    .map(([a, c]) => `${a} ${c.toFixed(2)}`)
    .join(", ") || "–";

async function describeMachine(startLoad: number[]): Promise<string[]> {
  const cpuinfo = await Bun.file("/proc/cpuinfo")
    .text()
    .catch(() => "");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? "unknown";
  const nproc = (await run(["nproc"])).trim();
  const pgVersion = (await run(["pg_config", "--version"]).catch(() => "PostgreSQL ?")).trim();
  const redisVersion = (await run(["redis-server", "--version"]).catch(() => "Redis ?"))
    .trim()
    .split(" ")
    .slice(0, 3)
    .join(" ");
  return [
    `Machine: ${nproc} CPUs (nproc), ${model}; load average at start ${startLoad.map((l) => l.toFixed(2)).join(" / ")} (1 / 5 / 15 min)`,
    `Bun ${Bun.version}, ${pgVersion} (throwaway cluster, fsync=off), ${redisVersion} (throwaway server)`,
    `Date: ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
  ];
}

// ---------------------------------------------------------------------------------------------

export async function runE2eBench(argv: readonly string[] = process.argv.slice(3)): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      grants: { type: "string", default: "200" },
      warmup: { type: "string" },
      rounds: { type: "string", default: "3" },
      workers: { type: "string", default: "1,2,4" },
      clouds: { type: "string", default: "aws,azure" },
      scenarios: { type: "string", default: "fast,realistic" },
      concurrency: { type: "string", default: "50" },
      burst: { type: "string", default: "10" },
      baseline: { type: "string" },
      "skip-revoke": { type: "boolean", default: false },
      "cpu-prof": { type: "string" },
      "write-docs": { type: "boolean", default: false },
    },
  });
  const n = Number(values.grants);
  const warmup = values.warmup === undefined ? Math.ceil(n / 2) : Number(values.warmup);
  const rounds = Number(values.rounds);
  const workerCounts = values.workers.split(",").map(Number);
  const clouds = values.clouds.split(",") as Cloud[];
  const realisticConcurrency = Number(values.concurrency);
  const realisticBurst = Number(values.burst);
  if (
    !Number.isInteger(n) ||
    n < 10 ||
    n > 1000 ||
    !Number.isInteger(rounds) ||
    !Number.isInteger(warmup) ||
    warmup < 0 ||
    warmup > 1000 ||
    rounds < 1 ||
    !Number.isInteger(realisticBurst) ||
    realisticBurst < 1 ||
    workerCounts.some((w) => !Number.isInteger(w) || w < 1) ||
    clouds.some((c) => c !== "aws" && c !== "azure")
  ) {
    throw new Error(
      "usage: bun run bench e2e [--grants N (10–1000)] [--warmup W (default N/2)] [--rounds R] [--workers 1,2,4] [--clouds aws,azure] " +
        "[--scenarios fast,realistic] [--concurrency C] [--burst B] [--baseline DIR] [--skip-revoke] [--cpu-prof DIR] [--write-docs]",
    );
  }
  const allScenarios: Scenario[] = [
    { name: "fast", latencyMs: 0, ratePerSecond: 0, concurrency: undefined, burst: 0 },
    {
      name: "realistic",
      latencyMs: 100,
      ratePerSecond: 100,
      concurrency: realisticConcurrency,
      burst: realisticBurst,
    },
  ];
  const scenarios = values.scenarios.split(",").map((name) => {
    const s = allScenarios.find((x) => x.name === name);
    if (!s) throw new Error(`unknown scenario ${name} (fast, realistic)`);
    return s;
  });
  const baselineDir = values.baseline === undefined ? undefined : resolve(values.baseline);
  const systems: System[] = baselineDir === undefined ? ["ours"] : ["ours", "baseline"];
  const startLoad = loadavg();
  const commandLine = `bun run bench e2e ${argv.join(" ")}`.trim();
  const started = performance.now();

  const results = new Map<string, { grant: Phase[]; revoke: Phase[] }>();
  const key = (s: Scenario, c: Cloud, w: number, sys: System) => `${s.name}|${c}|${w}|${sys}`;
  try {
    const [pg, redis, cloud] = await Promise.all([startPg(), startRedis(), startCloudsimProcess()]);
    const redisAdmin = createRedis(redis.url, { name: "bench-admin" });
    cleanups.push(() => redisAdmin.disconnect());
    const dirs: Record<System, string> = { ours: OURS, baseline: baselineDir ?? OURS };
    const templates: Record<System, string> = { ours: "tmpl_ours", baseline: "tmpl_baseline" };
    for (const sys of systems) {
      // Each system's own migrations into a template; every run copies it (fast) into a fresh database.
      await run(["bun", "services/migrate/main.ts"], {
        cwd: dirs[sys],
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          HOME: process.env.HOME ?? "/root",
          DATABASE_URL: pg.url(templates[sys]),
          LOG_LEVEL: "warn",
        },
      });
    }
    console.error(`statements counted with ${pg.statementsVia}`);
    const stack: Stack = { pg, redis, redisAdmin, cloud, templates, dirs };
    for (let round = 0; round < rounds; round++) {
      for (const scenario of scenarios) {
        for (const c of clouds) {
          for (const w of workerCounts) {
            // Alternate which system goes first, so drifting load on the machine hits both alike.
            const order = round % 2 === 0 ? systems : [...systems].reverse();
            for (const sys of order) {
              const r = await oneRun(
                stack,
                sys,
                c,
                w,
                scenario,
                n,
                warmup,
                !values["skip-revoke"],
                values["cpu-prof"] === undefined ? undefined : resolve(values["cpu-prof"]),
              );
              const k = key(scenario, c, w, sys);
              const slot = results.get(k) ?? { grant: [], revoke: [] };
              slot.grant.push(r.grant);
              if (r.revoke) slot.revoke.push(r.revoke);
              results.set(k, slot);
              console.error(
                `round ${round + 1}/${rounds} ${scenario.name} ${c} ×${w} ${sys}: ${f(r.grant.n / r.grant.seconds, 0)} grants/s, ` +
                  `${f(Object.entries(r.grant.cpuMs).reduce((s, [role, ms]) => (role === "cloudsim" ? s : s + ms), 0) / r.grant.n, 2)} ms CPU/grant, ` +
                  `${f(r.grant.sql / r.grant.n, 2)} SQL, ${f(r.grant.redis / r.grant.n, 2)} Redis, calls ${callsText(Object.fromEntries(Object.entries(r.grant.calls).map(([a, v]) => [a, v / r.grant.n])))}` +
                  (r.grant.throttled ? `, ${r.grant.throttled} throttled` : "") +
                  (r.grant.failed ? `, ${r.grant.failed} FAILED` : ""),
              );
            }
          }
        }
      }
    }
  } finally {
    await cleanupAll();
  }
  const minutes = (performance.now() - started) / 60_000;

  // Tables.
  const lines: string[] = [];
  const machine = await describeMachine(startLoad);
  const endLoad = loadavg();
  lines.push(
    `Command: \`${commandLine}\`${baselineDir ? ` (baseline: commit 5b605be, the code before issue 12, checked out in \`${values.baseline}\`)` : ""}.`,
    `${n} grants per run (two per principal), POSTed ${POST_CONCURRENCY} at a time after a warm-up burst of ${warmup} (not measured, other principals) has completed, then ${values["skip-revoke"] ? "no revocations" : "the same grants revoked early (POST /requests/{id}/revoke)"}; ${rounds} rounds, ${systems.length > 1 ? "ours and the baseline alternating (which goes first swaps each round); " : ""}every figure is the median over rounds. The whole run took ${minutes.toFixed(1)} min.`,
    "",
    ...machine.map((l) => `- ${l}`),
    `- Load average at the end: ${endLoad.map((l) => l.toFixed(2)).join(" / ")}`,
    "",
    "Scenarios (cloudsim knobs, the same process serving every run): **fast** — no latency, no rate limit, workers at their default QUEUE_CONCURRENCY (10); " +
      `**realistic** — 100 ms per cloud call, 100 calls/s per account (burst ${realisticBurst}), QUEUE_CONCURRENCY=${realisticConcurrency} per worker process, ` +
      `our workers' shared call budget at ${BUDGET_SHARE * 100} % of the account's rate (the baseline has none). Fast: the budget off.`,
    "",
  );
  const get = (
    s: Scenario,
    c: Cloud,
    w: number,
    sys: System,
    phase: "grant" | "revoke",
  ): Summary | undefined => {
    const ph = results.get(key(s, c, w, sys))?.[phase];
    return ph && ph.length > 0 ? summarize(ph) : undefined;
  };
  const both = systems.length > 1;
  const pair = (o: number, b: number | undefined, digits = 1) =>
    both && b !== undefined ? `${f(o, digits)} / ${f(b, digits)} (${ratio(o, b)})` : f(o, digits);

  lines.push(
    `### Grants${both ? " — ours / baseline (ours ÷ baseline)" : ""}`,
    "",
    "Grants/s is POST → SUCCESS: the burst's size over the time from the first request received to the last one completed (database clocks). " +
      "CPU is utime + stime from /proc/<pid>/stat of the API, scheduler, workers, every PostgreSQL process and redis-server, over the burst; cloudsim (the clouds' side) is left out. " +
      "SQL is pg_stat_statements calls by the services' role in the run's database (BEGIN/COMMIT included), Redis is INFO commandstats (which also counts the commands a script runs: the consumer's ack-and-take script shows as evalsha + lrem + lmove), cloud calls are cloudsim's per-action counters: per grant, the calls the cloud served, then (+ those it throttled). By action, AWS's counter counts every attempt, throttled ones included; Azure's only the calls it served. " +
      "Share of ceiling: grants/s over (the account's 100 calls/s ÷ the fewest calls a grant can take: 2 on AWS, a read and a write; 1 on Azure, the PUT).",
    "",
    "| scenario | cloud | workers | grants/s | CPU ms/grant | SQL/grant | Redis/grant | cloud calls/grant (+ throttled) | share of ceiling | failed |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const s of scenarios)
    for (const c of clouds)
      for (const w of workerCounts) {
        const o = get(s, c, w, "ours", "grant");
        if (!o) continue;
        const b = both ? get(s, c, w, "baseline", "grant") : undefined;
        const ceiling = s.ratePerSecond > 0 ? s.ratePerSecond / MIN_CALLS_PER_GRANT[c] : 0;
        const share = (x: Summary | undefined) =>
          x && ceiling > 0 ? `${Math.round((100 * x.rate) / ceiling)}%` : "–";
        lines.push(
          `| ${s.name} | ${c} | ${w} | ${pair(o.rate, b?.rate, 0)} | ${pair(o.cpuTotal, b?.cpuTotal, 2)} | ${pair(o.sql, b?.sql, 2)} | ${pair(o.redis, b?.redis, 2)} | ${pair(o.accepted, b?.accepted, 2)} (+${f(o.throttledPer, 2)}${both ? ` / +${f(b?.throttledPer ?? Number.NaN, 2)}` : ""}) | ${both ? `${share(o)} / ${share(b)}` : share(o)} | ${o.failed}${both ? ` / ${b?.failed ?? "–"}` : ""} |`,
        );
      }

  const detail = (phase: "grant" | "revoke", title: string) => {
    const rows: string[] = [];
    for (const sys of systems)
      for (const s of scenarios)
        for (const c of clouds)
          for (const w of workerCounts) {
            const x = get(s, c, w, sys, phase);
            if (!x) continue;
            const cpu = (r: string) => f(x.cpu[r] ?? 0, 2);
            rows.push(
              `| ${sys} | ${s.name} | ${c} | ${w} | ${f(x.rate, 0)} | ${cpu("api")} | ${cpu("workers")} | ${cpu("scheduler")} | ${cpu("postgres")} | ${cpu("redis")} | **${f(x.cpuTotal, 2)}** | ${cpu("cloudsim")} | ${callsText(x.calls)} | ${x.throttled} |`,
            );
          }
    if (rows.length === 0) return;
    lines.push(
      "",
      `### ${title}`,
      "",
      `| system | scenario | cloud | workers | ${phase}s/s | API | workers | scheduler | PostgreSQL | Redis | total | cloudsim | cloud calls per ${phase} by action | throttled |`,
      "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
      ...rows,
    );
  };
  detail("grant", "Grants: CPU ms per grant by process, cloud calls by action");
  detail("revoke", "Early revocations: CPU ms per revocation by process, cloud calls by action");
  if (!values["skip-revoke"]) {
    lines.push(
      "",
      "| system | scenario | cloud | workers | SQL/revoke | Redis/revoke | failed |",
      "|---|---|---|---:|---:|---:|---:|",
    );
    for (const sys of systems)
      for (const s of scenarios)
        for (const c of clouds)
          for (const w of workerCounts) {
            const x = get(s, c, w, sys, "revoke");
            if (x)
              lines.push(
                `| ${sys} | ${s.name} | ${c} | ${w} | ${f(x.sql, 2)} | ${f(x.redis, 2)} | ${x.failed} |`,
              );
          }
  }

  // What the statements and commands are, from the last run of each system (for the profile notes).
  lines.push(
    "",
    `Statements and commands per grant, last run of each system and scenario (${clouds[0]}):`,
    "",
  );
  for (const s of scenarios)
    for (const sys of systems)
      for (const w of [workerCounts[0], workerCounts.at(-1)]) {
        const c = clouds[0];
        if (!c || w === undefined) continue;
        const last = results.get(key(s, c, w, sys))?.grant.at(-1);
        if (!last) continue;
        const label = `${sys}, ${s.name}, ${w} worker${w > 1 ? "s" : ""}`;
        if (w === workerCounts[0])
          lines.push(
            `- ${label}, SQL: ${last.topSql.map((q) => `\`${q.query.replace(/`/g, "'").slice(0, 70)}…\` ${(q.calls / last.n).toFixed(2)}`).join("; ") || "–"}`,
          );
        lines.push(
          `- ${label}, Redis: ${last.topRedis.map(([cmd, count]) => `${cmd} ${(count / last.n).toFixed(2)}`).join(", ")}`,
        );
        if (workerCounts.length === 1) break;
      }

  console.log(`\n${lines.join("\n")}\n`);
  if (values["write-docs"]) await writeDocsSection("End to end", lines);
}
