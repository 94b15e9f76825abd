// What every end-to-end benchmark needs: its own migrated database and Redis key prefix on the
// machine's servers, removed afterwards, and a way to wait for the API it starts.
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { createSql } from "../lib/db/connect.ts";
import { ensureDatabase, migrate } from "../lib/db/migrate.ts";
import { deleteKeysWithPrefix } from "../lib/redis/delete-prefix.ts";
import { migrations } from "../migrations/index.ts";

export const BENCH_PG = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
/**
 * Benchmarks use their own Redis database (15 unless the URL names another), never db 0 where
 * development and the services' defaults live; keys there carry a random prefix and are removed.
 */
export const BENCH_REDIS = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379/15";
/** The database number of BENCH_REDIS, for tools that take it apart (redis-benchmark --dbnum). */
export const BENCH_REDIS_DB = redisDbOf(BENCH_REDIS);

export function redisDbOf(url: string): number {
  const db = Number(new URL(url).pathname.replace(/^\//, "") || "0");
  if (!Number.isInteger(db) || db < 0) throw new Error(`not a Redis database number in ${url}`);
  return db;
}

export interface BenchNamespace {
  dbUrl: string;
  prefix: string;
  drop(): Promise<void>;
}

export async function benchNamespace(): Promise<BenchNamespace> {
  const dbName = `csb_bench_${randomBytes(4).toString("hex")}`;
  const dbUrl = BENCH_PG.replace(/\/[^/]*$/, `/${dbName}`);
  const prefix = `bench${randomBytes(4).toString("hex")}:`;
  await ensureDatabase(dbUrl);
  const m = createSql(dbUrl, { max: 1 });
  await migrate(m, migrations);
  await m.end();
  return {
    dbUrl,
    prefix,
    async drop() {
      const admin = postgres(BENCH_PG, { max: 1, onnotice: () => {} });
      await admin.unsafe(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
      await admin.end();
      await deleteKeysWithPrefix(BENCH_REDIS, prefix);
    },
  };
}

export async function waitForReady(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await fetch(`${url}/readyz`).catch(() => null))?.status === 200) return;
    await Bun.sleep(100);
  }
  throw new Error(`${url} did not become ready`);
}
