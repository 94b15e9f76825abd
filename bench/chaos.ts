// `bun run bench chaos [--grants N] [--write-docs]`: N short grants (PT5S–PT10S, AWS and Azure)
// through the API while a worker is killed (kill -9) during the grants and Redis loses all its
// data (FLUSHALL) while the revocations are due. Reports what was accepted, granted, revoked and
// left behind in the cloud (must be 0), and how late each revocation came after its expiry
// (revoked_at − revoke_at, both on the database clock), separately for revocations done before
// the wipe and after it. Goals: p99 ≤ 2 s normally, ≤ 5 s after a wipe.
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { parseApiTokens } from "../lib/auth/api-tokens.ts";
import { createSql } from "../lib/db/connect.ts";
import { assertMigrated } from "../lib/db/migrate.ts";
import { createApp } from "../lib/http/app.ts";
import { createLogger } from "../lib/logging/logger.ts";
import { createRedis } from "../lib/redis/connect.ts";
import { migrations } from "../migrations/index.ts";
import { type RunningCloudsim, startCloudsim } from "../services/cloudsim/sim/server.ts";
import { throwawayRedis } from "../tests/helpers/throwaway.ts";
import { writeDocsSection } from "./docs-section.ts";
import { benchNamespace } from "./namespace.ts";

const TOKEN = "bench-chaos-secret-0123456789";
const USERS = 100;
const POLICIES = ["ReadOnlyAccess", "SecurityAudit"];
const AZ_PRINCIPALS = Array.from(
  { length: 50 },
  (_, i) => `0b9f7c1e-6a53-4b5e-9a39-${String(i).padStart(12, "0")}`,
);
const SCOPE = "/subscriptions/6f1d2b7a-0c1e-4a7b-9d3e-5c2a1b0f9e8d/resourceGroups/rg-bench";

/** A small seeded generator, so a run's durations can be drawn again. */
function lcg(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

function body(i: number, durationS: number): Record<string, unknown> {
  if (i % 2 === 0) {
    const n = i / 2;
    return {
      provider: "aws",
      action: "grant",
      principal: { type: "user", name: `user${n % USERS}` },
      permission: {
        type: "managed_policy",
        policy_arn: `arn:aws:iam::aws:policy/${POLICIES[Math.floor(n / USERS) % POLICIES.length]}`,
      },
      duration: `PT${durationS}S`,
    };
  }
  const n = (i - 1) / 2;
  return {
    provider: "azure",
    action: "grant",
    principal: { id: AZ_PRINCIPALS[n % AZ_PRINCIPALS.length], type: "User" },
    role: { name: Math.floor(n / AZ_PRINCIPALS.length) % 2 ? "Contributor" : "Reader" },
    scope: SCOPE,
    duration: `PT${durationS}S`,
  };
}

/** What of the bench's principals' access the cloud still holds. */
function leftInCloud(cloud: RunningCloudsim): number {
  const aws = cloud.aws.snapshot();
  let n = 0;
  for (const u of Object.values(aws.users)) n += u.attachedPolicies.length;
  const ours = new Set(AZ_PRINCIPALS);
  n += cloud.azure.snapshot().roleAssignments.filter((a) => ours.has(a.principalId.toLowerCase())).length;
  return n;
}

const pct = (sorted: number[], p: number) =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0);

async function until(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await Bun.sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface Group {
  label: string;
  n: number;
  p50: number;
  p99: number;
  max: number;
  goalMs: number;
}

export async function runChaosBench(argv: readonly string[] = process.argv.slice(3)): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      grants: { type: "string", default: "200" },
      seed: { type: "string", default: "7" },
      "write-docs": { type: "boolean", default: false },
    },
  });
  const N = Number(values.grants);
  const seed = Number(values.seed);
  if (!Number.isInteger(N) || N < 10 || !Number.isInteger(seed)) {
    throw new Error("usage: bun run bench chaos [--grants N (≥ 10)] [--seed S] [--write-docs]");
  }
  const random = lcg(seed);
  const rd = throwawayRedis();
  await rd.start();
  const ns = await benchNamespace();
  const cloud = await startCloudsim();
  for (let i = 0; i < USERS; i++) cloud.aws.seedUser(`user${i}`);
  cloud.azure.seedPrincipals(...AZ_PRINCIPALS.map((id) => ({ id, type: "User" as const })));
  const sql = createSql(ns.dbUrl, { max: 4 });
  const redis = createRedis(rd.url);
  redis.on("error", () => {});
  const procs: ReturnType<typeof Bun.spawn>[] = [];
  const common = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    DATABASE_URL: ns.dbUrl,
    REDIS_URL: rd.url,
    LOG_LEVEL: "warn",
    // Liveness as a deployment would tune it for fast recovery (defaults: 1 s / 10 s).
    WORKER_HEARTBEAT_INTERVAL_MS: "500",
    WORKER_HEARTBEAT_TIMEOUT_MS: "3000",
  };
  const spawn = (entry: string, env: Record<string, string>) => {
    const p = Bun.spawn(["bun", entry], { env: { ...common, ...env }, stdout: "ignore", stderr: "ignore" });
    procs.push(p);
    return p;
  };
  const workerEnv = (provider: string) => ({
    WORKER_PROVIDER: provider,
    AWS_ENDPOINT_URL_IAM: cloud.awsUrl,
    AWS_ACCESS_KEY_ID: "AKIABENCHCHAOS000000",
    AWS_SECRET_ACCESS_KEY: "bench",
    AZURE_TENANT_ID: cloud.tenantId,
    AZURE_CLIENT_ID: cloud.clientId,
    AZURE_CLIENT_SECRET: cloud.clientSecret,
    AZURE_AUTHORITY_HOST: cloud.authorityHost,
    AZURE_ARM_ENDPOINT: cloud.azureUrl,
    AZURE_CA_FILE: cloud.caFile,
  });
  try {
    await until(async () => redis.status === "ready", "redis", 10_000);
    const app = createApp({
      sql,
      redis,
      log: createLogger({ service: "bench-chaos-api", level: "silent" }),
      clients: parseApiTokens(`bench:${TOKEN}`, { minSecretLength: 8 }),
      policy: null,
      now: () => new Date(),
      checkMigrated: () => assertMigrated(sql, migrations),
      rateLimits: { enabled: false, fallback: { requests: 1_000_000, perMs: 1000, burst: 1_000_000 } },
      limits: {
        bodyBytes: 65536,
        maxGrantDurationMs: 3600_000,
        dbTimeoutMs: 3000,
        redisTimeoutMs: 2000,
        cacheSettledSeconds: 300,
        cacheMovingSeconds: 1,
        retryAfterSeconds: 1,
      },
    });
    spawn("services/scheduler/main.ts", {});
    let victim = spawn("services/worker/main.ts", workerEnv("aws"));
    spawn("services/worker/main.ts", workerEnv("aws"));
    spawn("services/worker/main.ts", workerEnv("azure"));
    await until(
      async () =>
        (await redis.zcard("queue:aws:workers")) >= 2 && (await redis.zcard("queue:azure:workers")) >= 1,
      "workers up",
      30_000,
    );

    const count = async (where: "final" | "success" | "open") => {
      const [r] =
        where === "final"
          ? await sql<
              { n: number }[]
            >`SELECT count(*)::int AS n FROM requests WHERE status IN ('SUCCESS', 'FAILED')`
          : where === "success"
            ? await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM requests WHERE status = 'SUCCESS'`
            : await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM requests
                WHERE status NOT IN ('SUCCESS', 'FAILED') OR revocation_status = 'SCHEDULED'`;
      return r?.n ?? 0;
    };

    const started = performance.now();
    let accepted = 0;
    let next = 0;
    const post = async () => {
      while (next < N) {
        const i = next++;
        const res = await app.request("/api/v1/requests", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
          body: JSON.stringify(body(i, 5 + Math.floor(random() * 6))),
        });
        if (res.status === 202) accepted++;
        await res.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: 16 }, post));
    const postedS = (performance.now() - started) / 1000;

    // kill -9 of a worker while the grants are being carried out; it comes back a second later.
    await until(
      async () => (await count("final")) >= Math.floor(accepted * 0.3),
      "30% of grants final",
      60_000,
    );
    victim.kill("SIGKILL");
    await victim.exited;
    const killedS = (performance.now() - started) / 1000;
    await Bun.sleep(1000); // the worker's deliberate downtime
    victim = spawn("services/worker/main.ts", workerEnv("aws"));

    // FLUSHALL in the middle of the revocations (expiries run from 5 s to 10 s after submission).
    const [first] = await sql<{ at: Date }[]>`SELECT min(revoke_at) AS at FROM requests`;
    const [last] = await sql<{ at: Date }[]>`SELECT max(revoke_at) AS at FROM requests`;
    const wipeAt = ((first?.at.getTime() ?? Date.now()) + (last?.at.getTime() ?? Date.now())) / 2;
    await until(async () => Date.now() >= wipeAt, "the middle of the expiries", 60_000);
    await redis.flushall();
    const [wiped] = await sql<{ at: Date }[]>`SELECT now() AS at`;
    const wipedAt = wiped?.at ?? new Date();
    const wipedS = (performance.now() - started) / 1000;

    await until(
      async () => (await count("open")) === 0 && leftInCloud(cloud) === 0,
      "everything settled",
      180_000,
    ).catch((err: unknown) => console.error(String(err)));
    const settledS = (performance.now() - started) / 1000;

    const rows = await sql<
      { status: string; rs: string | null; late_ms: number | null; after_wipe: boolean }[]
    >`
      SELECT status, revocation_status AS rs,
             (extract(epoch FROM revoked_at - revoke_at) * 1000)::float8 AS late_ms,
             coalesce(revoked_at >= ${wipedAt}, false) AS after_wipe
      FROM requests`;
    const late = (afterWipe: boolean) =>
      rows
        .filter((r) => r.rs === "REVOKED" && r.late_ms !== null && r.after_wipe === afterWipe)
        .map((r) => Math.max(0, r.late_ms ?? 0))
        .sort((a, b) => a - b);
    const groups: Group[] = [
      { label: "revoked before the wipe", goalMs: 2000, ...stats(late(false)) },
      { label: "revoked after the wipe", goalMs: 5000, ...stats(late(true)) },
    ];
    const summary = {
      accepted,
      granted: rows.filter((r) => r.status === "SUCCESS").length,
      failed: rows.filter((r) => r.status === "FAILED").length,
      revoked: rows.filter((r) => r.rs === "REVOKED").length,
      skipped: rows.filter((r) => r.rs === "SKIPPED").length,
      open: await count("open"),
      leftBehind: leftInCloud(cloud),
    };
    const machine = `${cpus().length} × ${cpus()[0]?.model?.trim() ?? "?"}; Bun ${Bun.version}`;
    const lines = [
      `- Machine: ${machine}; date ${new Date().toISOString().slice(0, 10)}.`,
      `- Command: \`bun run bench chaos --grants ${N} --seed ${seed}\`. Timeline: all POSTed in ${postedS.toFixed(1)} s; ` +
        `worker kill -9 at ${killedS.toFixed(1)} s (back 1 s later); FLUSHALL at ${wipedS.toFixed(1)} s; ` +
        `everything settled at ${settledS.toFixed(1)} s.`,
      "",
      "| accepted | granted | failed | revoked | skipped | open obligations | left behind |",
      "|---:|---:|---:|---:|---:|---:|---:|",
      `| ${summary.accepted} | ${summary.granted} | ${summary.failed} | ${summary.revoked} | ${summary.skipped} | ${summary.open} | **${summary.leftBehind}** |`,
      "",
      "| revocation lateness (revoked_at − revoke_at) | n | p50 ms | p99 ms | max ms | goal p99 | met |",
      "|---|---:|---:|---:|---:|---:|---|",
      ...groups.map(
        (g) =>
          `| ${g.label} | ${g.n} | ${fmt(g.p50)} | ${fmt(g.p99)} | ${fmt(g.max)} | ≤ ${g.goalMs / 1000} s | ${g.n === 0 ? "n/a" : g.p99 <= g.goalMs ? "yes" : "**no**"} |`,
      ),
    ];
    console.log(`\n${lines.join("\n")}\n`);
    if (values["write-docs"]) await writeDocs(lines);
    if (summary.leftBehind > 0 || summary.open > 0) process.exitCode = 1;
  } finally {
    for (const p of procs) p.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.exited));
    redis.disconnect();
    await sql.end({ timeout: 5 });
    await cloud.stop();
    await ns.drop();
    await rd.stop();
  }
}

function stats(sorted: number[]): { n: number; p50: number; p99: number; max: number } {
  return {
    n: sorted.length,
    p50: pct(sorted, 0.5),
    p99: pct(sorted, 0.99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

const fmt = (ms: number) => (Number.isNaN(ms) ? "–" : String(Math.round(ms)));

/** Replaces (or adds) the "Chaos" section of docs/benchmarks.md. */
async function writeDocs(lines: string[]): Promise<void> {
  await writeDocsSection("Chaos", [
    "Command: `bun run bench chaos` (`--grants N`, default 200; `--seed S` draws the durations). Grants",
    "of PT5S–PT10S, half AWS (100 users × 2 managed policies), half Azure (50 principals × 2 roles),",
    "POSTed 16 at a time through the in-process API; the real scheduler, two AWS workers and one Azure",
    "worker on a throwaway Redis and a fresh database. One AWS worker is killed (kill -9) when 30% of the",
    "grants are final and restarted a second later; Redis is wiped (FLUSHALL) halfway through the",
    "expiries. Lateness is revoked_at − revoke_at on the database clock, split by whether the",
    "revocation was done before or after the wipe. Workers heartbeat every 500 ms, dead after 3 s.",
    "",
    ...lines,
    "",
  ]);
}
