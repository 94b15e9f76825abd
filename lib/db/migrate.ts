import { createHash } from "node:crypto";
import postgres from "postgres";
import type { Migration } from "../../migrations/index.ts";
import type { Sql } from "./connect.ts";

/** Arbitrary constant: every migrator takes this advisory lock, so two never interleave. */
const LOCK_KEY = 7_262_001;

export interface MigrateResult {
  applied: string[];
  createdDatabase: boolean;
}

export class UnmigratedDatabaseError extends Error {
  constructor(
    readonly have: number,
    readonly want: number,
    /** Migrations of this build the database has not applied, by version. */
    readonly missing: readonly number[] = [],
  ) {
    super(
      `database is at migration ${have}, this build needs ${want}` +
        (missing.length > 0 ? ` (missing ${missing.join(", ")})` : "") +
        ": run `bun run migrate`",
    );
    this.name = "UnmigratedDatabaseError";
  }
}

const checksum = (m: Migration) => createHash("sha256").update(m.sql).digest("hex");

/** CREATE DATABASE if it does not exist; safe when two processes race to do it. */
export async function ensureDatabase(url: string): Promise<boolean> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ""));
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(name)) throw new Error(`unsupported database name in DATABASE_URL`);
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const sql = postgres(admin.toString(), { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    const rows = await sql`SELECT 1 FROM pg_database WHERE datname = ${name}`;
    if (rows.length > 0) return false;
    try {
      await sql.unsafe(`CREATE DATABASE "${name}"`);
      return true;
    } catch (err) {
      // 42P04 duplicate_database / 23505: another migrator created it first.
      const code = (err as { code?: string }).code;
      if (code === "42P04" || code === "23505") return false;
      throw err;
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Apply every missing migration in order, each in its own transaction under the advisory lock. */
export async function migrate(sql: Sql, all: readonly Migration[]): Promise<string[]> {
  await sql`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      checksum   text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`.catch((err: { code?: string }) => {
    // Two first-time migrators can race on CREATE TABLE IF NOT EXISTS (pg_type unique violation).
    if (err.code !== "23505" && err.code !== "42P07") throw err;
  });
  const applied: string[] = [];
  for (const m of [...all].sort((a, b) => a.version - b.version)) {
    const did = await sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${LOCK_KEY})`;
      const [row] = await tx<{ checksum: string }[]>`
        SELECT checksum FROM schema_migrations WHERE version = ${m.version}`;
      if (row) {
        if (row.checksum !== checksum(m)) {
          throw new Error(`migration ${m.name} was changed after it was applied; add a new one instead`);
        }
        return false;
      }
      await tx.unsafe(m.sql);
      await tx`INSERT INTO schema_migrations (version, name, checksum)
               VALUES (${m.version}, ${m.name}, ${checksum(m)})`;
      return true;
    });
    if (did) applied.push(m.name);
  }
  return applied;
}

/**
 * Services call this at start: refuse to run against a database that lacks any migration of this
 * build. Every version is checked, not only the highest: versions need not be contiguous (branches
 * reserve numbers), so a database can hold 1 and 3 while this build also needs 2.
 */
export async function assertMigrated(sql: Sql, all: readonly Migration[]): Promise<void> {
  const want = Math.max(0, ...all.map((m) => m.version));
  let applied = new Set<number>();
  try {
    const rows = await sql<{ version: number }[]>`SELECT version FROM schema_migrations`;
    applied = new Set(rows.map((r) => r.version));
  } catch (err) {
    if ((err as { code?: string }).code !== "42P01") throw err; // undefined_table → nothing applied
  }
  const missing = all.map((m) => m.version).filter((v) => !applied.has(v));
  if (missing.length > 0) throw new UnmigratedDatabaseError(Math.max(0, ...applied), want, missing);
}
