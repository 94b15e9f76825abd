import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { createSql } from "../../lib/db/connect.ts";
import { ensureDatabase, migrate } from "../../lib/db/migrate.ts";
import { migrations } from "../../migrations/index.ts";
import { samples } from "../helpers/api.ts";
import { type Service, spawnService, waitUntil } from "../helpers/spawn-service.ts";
import {
  freePort,
  type ThrowawayPostgres,
  type ThrowawayRedis,
  throwawayPostgres,
  throwawayRedis,
} from "../helpers/throwaway.ts";

// A request must never hang on a dead dependency: each call here fails the test past this bound.
const NO_HANG_MS = 8000;
const TOKEN = "outage-secret-0123456789";

describe("PostgreSQL or Redis down: 503 + Retry-After, nothing half-written, recovery by itself", () => {
  let pg: ThrowawayPostgres;
  let redis: ThrowawayRedis;
  let api: Service;
  let base: string;

  const env = () => ({
    DATABASE_URL: pg.url("csecbridge"),
    REDIS_URL: redis.url,
    API_TOKENS: `outage:${TOKEN}`,
    DB_TIMEOUT_MS: "1500",
    REDIS_TIMEOUT_MS: "1000",
    LOG_LEVEL: "warn",
  });
  const post = (body: unknown = samples.awsManaged()) =>
    fetch(`${base}/api/v1/requests`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(NO_HANG_MS),
    });
  const get = (path: string) =>
    fetch(`${base}${path}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
      signal: AbortSignal.timeout(NO_HANG_MS),
    });
  const rows = async () => {
    const s = postgres(pg.url("csecbridge"), { max: 1, onnotice: () => {} });
    try {
      const [r] = await s<{ n: number }[]>`SELECT count(*)::int AS n FROM requests`;
      return r?.n ?? -1;
    } finally {
      await s.end();
    }
  };
  const jobs = async () => {
    const p = Bun.spawn(["redis-cli", "-p", String(redis.port), "llen", "queue:aws"], { stdout: "pipe" });
    return Number((await new Response(p.stdout).text()).trim());
  };
  const ready = async () => (await get("/readyz")).status === 200;

  beforeAll(async () => {
    [pg, redis] = [await throwawayPostgres(), throwawayRedis()];
    await Promise.all([pg.start(), redis.start()]);
    await ensureDatabase(pg.url("csecbridge"));
    const sql = createSql(pg.url("csecbridge"), { max: 1 });
    await migrate(sql, migrations);
    await sql.end();
    const port = freePort();
    base = `http://127.0.0.1:${port}`;
    api = spawnService("services/api/main.ts", { ...env(), PORT: String(port), HOST: "127.0.0.1" });
    await waitUntil(ready, "api ready");
  }, 60_000);

  afterAll(async () => {
    await api?.stop("SIGKILL");
    await redis?.stop();
    await pg?.destroy();
  });

  test("Redis down: POST → 503 with Retry-After, no row, no job; readyz 503, healthz 200; recovers", async () => {
    const ok = await post();
    expect(ok.status).toBe(202);
    const rowsBefore = await rows();
    await redis.stop();

    const res = await post();
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("2");
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(await rows()).toBe(rowsBefore);
    expect((await get("/healthz")).status).toBe(200);
    expect((await get("/readyz")).status).toBe(503);
    // Reads still work from PostgreSQL while the cache is away.
    const { correlation_id } = (await ok.json()) as { correlation_id: string };
    const read = await get(`/api/v1/requests/${correlation_id}`);
    expect(read.status).toBe(200);
    expect(read.headers.get("x-cache")).toBe("BYPASS");

    await redis.start();
    await waitUntil(ready, "api ready after redis returns");
    const again = await post();
    expect(again.status).toBe(202);
    expect(await jobs()).toBe(1); // the fresh Redis holds only the job queued after it came back
  }, 60_000);

  test("PostgreSQL down: POST and GET → 503 with Retry-After, no job; recovers", async () => {
    const jobsBefore = await jobs();
    await pg.stop();
    const res = await post();
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("2");
    expect(await jobs()).toBe(jobsBefore);
    const read = await get(`/api/v1/requests/${crypto.randomUUID()}`);
    expect(read.status).toBe(503);
    expect((await get("/readyz")).status).toBe(503);
    expect((await get("/healthz")).status).toBe(200);

    await pg.start();
    await waitUntil(ready, "api ready after postgres returns", 20_000);
    expect((await post()).status).toBe(202);
    expect(await jobs()).toBe(jobsBefore + 1);
  }, 60_000);

  test("the API starts while both are down and becomes ready when they return", async () => {
    await Promise.all([pg.stop(), redis.stop()]);
    const port = freePort();
    const second = spawnService("services/api/main.ts", { ...env(), PORT: String(port), HOST: "127.0.0.1" });
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitUntil(
        async () => (await fetch(`${url}/healthz`)).status === 200,
        "healthz while deps are down",
      );
      expect((await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(NO_HANG_MS) })).status).toBe(503);
      await Promise.all([pg.start(), redis.start()]);
      await waitUntil(
        async () => (await fetch(`${url}/readyz`)).status === 200,
        "readyz after deps return",
        20_000,
      );
    } finally {
      expect(await second.stop()).toBe(0);
    }
  }, 90_000);
});
