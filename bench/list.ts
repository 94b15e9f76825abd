// `bun run bench list`: the read side at 1,000,000 requests. Seeds its own database with
// INSERT ... SELECT generate_series (realistic mixes: 60 % AWS, 10 % failed, 20 clients, 5,000
// AWS users, tickets and justifications), then times every list filter alone and combined, a
// second page, plain-English search and stats over 30 days, through the real app (auth, zod,
// the access_log row of an operator's call) in this process. BENCH_ROWS, BENCH_ITERATIONS override.
import { cpus } from "node:os";
import { parseApiTokens } from "../lib/auth/api-tokens.ts";
import { createSql } from "../lib/db/connect.ts";
import { createApp } from "../lib/http/app.ts";
import { createLogger } from "../lib/logging/logger.ts";
import { parsePolicyText } from "../lib/policy/load.ts";
import { createRedis } from "../lib/redis/connect.ts";
import { BENCH_REDIS, benchNamespace } from "./namespace.ts";

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200);
const BATCH = 100_000;
const TOKEN = "bench-operator-secret-000";

export async function runListBench(): Promise<void> {
  const ns = await benchNamespace();
  const sql = createSql(ns.dbUrl, { max: 10, timeoutMs: 600_000 });
  const redis = createRedis(BENCH_REDIS, { keyPrefix: ns.prefix });
  try {
    const t0 = performance.now();
    for (let from = 0; from < ROWS; from += BATCH) {
      await seedBatch(sql, from, Math.min(from + BATCH, ROWS));
      process.stdout.write(`\rseeded ${Math.min(from + BATCH, ROWS).toLocaleString()} rows`);
    }
    await sql`VACUUM ANALYZE requests`;
    console.log(`\nseeded and analysed in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

    const app = createApp({
      sql,
      redis,
      log: createLogger({ service: "bench-list", level: "silent" }),
      clients: parseApiTokens(`operator:${TOKEN}`, { minSecretLength: 8 }),
      policy: parsePolicyText("clients:\n  operator:\n    role: operator\n", "yaml", "bench.yaml"),
      rateLimits: { enabled: false, fallback: { requests: 1, perMs: 1000, burst: 1 } },
      now: () => new Date(),
      checkMigrated: async () => {},
      limits: {
        bodyBytes: 64 * 1024,
        maxGrantDurationMs: 7 * 86_400_000,
        dbTimeoutMs: 10_000,
        redisTimeoutMs: 2000,
        cacheSettledSeconds: 300,
        cacheMovingSeconds: 2,
        retryAfterSeconds: 2,
      },
    });
    const headers = { authorization: `Bearer ${TOKEN}` };
    const get = (path: string) => async () => {
      const res = await app.request(path, { headers });
      if (res.status !== 200) throw new Error(`${path} → ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    };
    const search = (q: string) => async () => {
      const res = await app.request("/api/v1/search", {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify({ q, tz: "UTC" }),
      });
      if (res.status !== 200) throw new Error(`search ${q} → ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    };
    const day = 86_400_000;
    const iso = (ms: number) => new Date(ms).toISOString();
    const now = Date.now();
    const firstPage = (await (await app.request("/api/v1/requests?status=FAILED", { headers })).json()) as {
      next_cursor: string;
    };
    const L = "/api/v1/requests?";
    const cases: [string, () => Promise<void>, number?][] = [
      ["list, no filter", get(L)],
      ["list provider=azure", get(`${L}provider=azure`)],
      ["list status=FAILED", get(`${L}status=FAILED`)],
      ["list status=PENDING (rare)", get(`${L}status=PENDING`)],
      ["list status_not=SUCCESS", get(`${L}status_not=SUCCESS`)],
      ["list revocation_status=SCHEDULED", get(`${L}revocation_status=SCHEDULED`)],
      ["list revocation_status=FAILED (rare)", get(`${L}revocation_status=FAILED`)],
      ["list action=revoke", get(`${L}action=revoke`)],
      [
        "list from/to: one day, 30 days ago",
        get(`${L}from=${iso(now - 31 * day)}&to=${iso(now - 30 * day)}`),
      ],
      ["list expires in the next 24 h", get(`${L}expires_from=${iso(now)}&expires_to=${iso(now + day)}`)],
      ["list stuck", get(`${L}stuck=true`)],
      ["list principal=u42 (3 AWS types)", get(`${L}principal=u42`)],
      ["list principal=user/u42", get(`${L}principal=user/u42`)],
      ["list ticket=CHG-12345", get(`${L}ticket=CHG-12345`)],
      ["list client=client7", get(`${L}client=client7`)],
      ["list text=release-42 (rare)", get(`${L}text=release-42`)],
      ["list text=quarterly (25 % of rows)", get(`${L}text=quarterly`)],
      [
        "list combined: aws, FAILED, client3, last 7 days",
        get(`${L}provider=aws&status=FAILED&client=client3&from=${iso(now - 7 * day)}`),
      ],
      [
        "list combined: FAILED, text=incident, last 30 days",
        get(`${L}status=FAILED&text=incident&from=${iso(now - 30 * day)}`),
      ],
      ["list page 2 (cursor) of status=FAILED", get(`${L}status=FAILED&cursor=${firstPage.next_cursor}`)],
      ["list limit=200", get(`${L}limit=200`)],
      ["search: failed aws requests yesterday", search("failed aws requests yesterday")],
      ["search: stuck azure", search("stuck azure")],
      ["search: expiring grants for u42", search("expiring grants for u42")],
      ["search: failed revocations last week", search("failed revocations last week")],
      ["stats: 30 days, P1D", get(`/api/v1/stats?from=${iso(now - 30 * day)}&bucket=P1D`), 30],
      ["stats: 30 days, PT1H", get(`/api/v1/stats?from=${iso(now - 30 * day)}&bucket=PT1H`), 30],
      ["stats: 24 hours, PT1H (the dashboard's default)", get("/api/v1/stats")],
    ];
    const results: { name: string; n: number; p50: number; p99: number; max: number }[] = [];
    for (const [name, fn, n = ITERATIONS] of cases) {
      for (let i = 0; i < 5; i++) await fn();
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        await fn();
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
      results.push({ name, n, p50: at(0.5), p99: at(0.99), max: times.at(-1) ?? 0 });
      console.log(`${name}: p50 ${at(0.5).toFixed(2)} ms, p99 ${at(0.99).toFixed(2)} ms`);
    }
    const [pg] = await sql<{ v: string }[]>`SELECT current_setting('server_version') AS v`;
    console.log(
      `\n${ROWS.toLocaleString()} rows; ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}); PostgreSQL ${pg?.v}; Bun ${Bun.version}\n`,
    );
    console.log("| what | runs | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|");
    for (const r of results) {
      console.log(`| ${r.name} | ${r.n} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.max.toFixed(1)} |`);
    }
  } finally {
    redis.disconnect();
    await sql.end({ timeout: 5 });
    await ns.drop();
  }
}

/** Rows [from, to): deterministic in i, spread over 90 days, newest for the smallest i. */
async function seedBatch(sql: ReturnType<typeof createSql>, from: number, to: number): Promise<void> {
  await sql`
    INSERT INTO requests (correlation_id, status, cloud_provider, action, client, request_payload, request_hash,
                          access_key, principal, ticket, received_at, updated_at, completed_at, error_details,
                          expires_at, revoke_at, revocation_status, revoked_at, pre_existing)
    SELECT gen_random_uuid(), r.status, r.provider, r.action, 'client' || (i % 20),
           jsonb_build_object('provider', r.provider, 'action', r.action, 'ticket', r.ticket,
                              'justification', r.justification,
                              'permission', jsonb_build_object('type', 'managed_policy',
                                            'policy_arn', 'arn:aws:iam::aws:policy/ReadOnlyAccess')),
           'bench', 'k' || i, r.principal, r.ticket, r.received, r.received, r.received + interval '2 seconds',
           CASE WHEN r.status = 'FAILED' THEN '{"code":"NoSuchEntity","message":"no such user"}'::jsonb END,
           r.expires, r.expires,
           r.revocation,
           CASE WHEN r.revocation = 'REVOKED' THEN r.expires + (i % 3000) * interval '1 millisecond' END,
           CASE WHEN r.revocation IS NULL THEN NULL ELSE r.revocation = 'SKIPPED' END
    FROM generate_series(${from}::int, ${to - 1}::int) AS i,
    LATERAL (SELECT
      now() - i * interval '7776 milliseconds' AS received,
      CASE WHEN i % 10 < 6 THEN 'aws' ELSE 'azure' END AS provider,
      CASE WHEN i % 100 < 85 THEN 'SUCCESS' WHEN i % 100 < 95 THEN 'FAILED'
           WHEN i % 100 < 97 THEN 'PENDING' ELSE 'PROCESSING' END AS status,
      CASE WHEN i % 25 = 0 THEN 'revoke' ELSE 'grant' END AS action,
      CASE WHEN i % 10 < 6 THEN (ARRAY['user', 'user', 'user', 'role', 'group'])[i % 5 + 1] || '/u' || ((i::bigint * 7919) % 5000)
           ELSE md5('p' || (i % 2000))::uuid::text END AS principal,
      CASE WHEN i % 10 < 7 THEN 'CHG-' || (i % 200000) END AS ticket,
      (ARRAY['quarterly audit', 'incident INC' || (i % 100000), 'release-' || (i % 5000), 'on-call access'])[i % 4 + 1]
        AS justification
    ) r0,
    LATERAL (SELECT r0.*,
      CASE WHEN r0.action = 'grant' THEN r0.received + interval '8 hours' END AS expires,
      CASE WHEN r0.action <> 'grant' OR r0.status <> 'SUCCESS' THEN NULL
           WHEN r0.received + interval '8 hours' > now() THEN 'SCHEDULED'
           WHEN i % 1000 = 7 THEN 'FAILED' WHEN i % 33 = 0 THEN 'SKIPPED' ELSE 'REVOKED' END AS revocation
    ) r`;
}
