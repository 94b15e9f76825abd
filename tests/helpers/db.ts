import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { createSql, type Sql } from "../../lib/db/connect.ts";
import { migrate } from "../../lib/db/migrate.ts";
import { migrations } from "../../migrations/index.ts";
import { testEnv } from "./env.ts";

export interface TestDatabase {
  url: string;
  name: string;
  sql: Sql;
  drop(): Promise<void>;
}

const TEMPLATE_LOCK = 7_262_002;

function withDb(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Name of the migrated template for the current set of migrations. */
function templateName(): string {
  const h = new Bun.CryptoHasher("sha256");
  for (const m of migrations) h.update(m.sql);
  return `csb_tpl_${h.digest("hex").slice(0, 12)}`;
}

/**
 * A fresh database for one test file, cloned from a template migrated once per migration set
 * (graphile/worker's approach): cheap, isolated, never shared between runs.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = testEnv().adminUrl;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const tpl = templateName();
  const name = `csb_test_${randomBytes(6).toString("hex")}`;
  try {
    await admin`SELECT pg_advisory_lock(${TEMPLATE_LOCK})`;
    try {
      const [exists] = await admin`SELECT 1 FROM pg_database WHERE datname = ${tpl}`;
      if (!exists) {
        await admin.unsafe(`CREATE DATABASE "${tpl}"`);
        const tsql = createSql(withDb(adminUrl, tpl), { max: 1 });
        try {
          await migrate(tsql, migrations);
        } finally {
          await tsql.end({ timeout: 5 });
        }
      }
      await admin.unsafe(`CREATE DATABASE "${name}" TEMPLATE "${tpl}"`);
    } finally {
      await admin`SELECT pg_advisory_unlock(${TEMPLATE_LOCK})`;
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = withDb(adminUrl, name);
  const sql = createSql(url, { max: 4 });
  return {
    url,
    name,
    sql,
    async drop() {
      await sql.end({ timeout: 5 });
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await a.end({ timeout: 5 });
      }
    },
  };
}

/** An empty database (not from the template), for migration-runner tests. */
export async function createEmptyDatabaseName(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = testEnv().adminUrl;
  const name = `csb_test_${randomBytes(6).toString("hex")}`;
  return {
    url: withDb(adminUrl, name),
    async drop() {
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await a.end({ timeout: 5 });
      }
    },
  };
}

/**
 * What `run` throws when its PostgreSQL cannot be reached: it gets a pool on a port nothing
 * listens on, closed afterwards. Resolves to undefined when `run` does not throw.
 */
export async function errorWithPostgresDown(run: (dead: Sql) => Promise<unknown>): Promise<unknown> {
  const dead = createSql("postgres://postgres@127.0.0.1:1/none", { max: 1, timeoutMs: 1000 });
  try {
    return await run(dead).then(
      () => undefined,
      (e: unknown) => e,
    );
  } finally {
    await dead.end({ timeout: 1 });
  }
}
