import { afterAll, describe, expect, test } from "bun:test";
import { migrations } from "../../migrations/index.ts";
import { createEmptyDatabaseName } from "../../tests/helpers/db.ts";
import { createSql } from "./connect.ts";
import { assertMigrated, ensureDatabase, migrate, UnmigratedDatabaseError } from "./migrate.ts";

describe("migration runner", () => {
  const dbs: { drop(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const d of dbs) await d.drop();
  });

  test("creates the database, applies every migration once, and is safe from two processes", async () => {
    const db = await createEmptyDatabaseName();
    dbs.push(db);
    const created = await Promise.all([ensureDatabase(db.url), ensureDatabase(db.url)]);
    expect(created.filter(Boolean)).toHaveLength(1);

    const a = createSql(db.url, { max: 2 });
    const b = createSql(db.url, { max: 2 });
    try {
      await expect(assertMigrated(a, migrations)).rejects.toBeInstanceOf(UnmigratedDatabaseError);
      const [ra, rb] = await Promise.all([migrate(a, migrations), migrate(b, migrations)]);
      // Every migration applied exactly once between the two concurrent runners.
      expect([...ra, ...rb].sort()).toEqual(migrations.map((m) => m.name).sort());
      const rows = await a`SELECT version FROM schema_migrations ORDER BY version`;
      expect(rows.map((r) => r.version)).toEqual(migrations.map((m) => m.version));
      expect(await migrate(a, migrations)).toEqual([]);
      await assertMigrated(a, migrations);
      const tables = await a`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`;
      expect(tables.map((t) => t.tablename)).toEqual([
        "access_log",
        "request_events",
        "requests",
        "schema_migrations",
        "webhook_deliveries",
        "webhook_outbox",
      ]);
    } finally {
      await a.end();
      await b.end();
    }
  });

  test("a database missing a migration below the highest applied one is not migrated", async () => {
    const db = await createEmptyDatabaseName();
    dbs.push(db);
    await ensureDatabase(db.url);
    const sql = createSql(db.url, { max: 1 });
    try {
      // Branches reserve numbers: this database got 1 and 3 first; a later build also has 2.
      const first = [{ version: 1, name: "0001_a", sql: "CREATE TABLE a (x int)" }];
      const later = [...first, { version: 3, name: "0003_c", sql: "CREATE TABLE c (x int)" }];
      await migrate(sql, later);
      const merged = [...later, { version: 2, name: "0002_b", sql: "CREATE TABLE b (x int)" }];
      const err = await assertMigrated(sql, merged).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnmigratedDatabaseError);
      expect((err as UnmigratedDatabaseError).missing).toEqual([2]);
      expect(await migrate(sql, merged)).toEqual(["0002_b"]);
      await assertMigrated(sql, merged);
    } finally {
      await sql.end();
    }
  });

  test("refuses a migration whose text changed after it was applied", async () => {
    const db = await createEmptyDatabaseName();
    dbs.push(db);
    await ensureDatabase(db.url);
    const sql = createSql(db.url, { max: 1 });
    try {
      await migrate(sql, migrations);
      const tampered = migrations.map((m) => ({ ...m, sql: `${m.sql}\n-- edited` }));
      await expect(migrate(sql, tampered)).rejects.toThrow(/changed after it was applied/);
    } finally {
      await sql.end();
    }
  });
});
