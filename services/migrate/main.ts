import { answerStandardFlags } from "../../lib/cli/standard-flags.ts";
import { ConfigError } from "../../lib/config/env.ts";
import { createSql } from "../../lib/db/connect.ts";
import { ensureDatabase, migrate } from "../../lib/db/migrate.ts";
import { createLogger } from "../../lib/logging/logger.ts";
import { VERSION } from "../../lib/version.ts";
import { migrations } from "../../migrations/index.ts";
import { loadMigrateConfig, migrateEnv } from "./config.ts";

async function main(): Promise<number> {
  const program = {
    name: "csecbridge-migrate",
    summary: "creates the database if needed and applies the embedded migrations, under an advisory lock",
    usage: ["csecbridge-migrate"],
    env: migrateEnv,
  };
  if (answerStandardFlags(process.argv, program)) return 0;
  let config: ReturnType<typeof loadMigrateConfig>;
  try {
    config = loadMigrateConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`csecbridge-migrate: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const log = createLogger({ service: "csecbridge-migrate", level: config.LOG_LEVEL, version: VERSION });
  const created = await ensureDatabase(config.DATABASE_URL);
  if (created) log.info("created database");
  const sql = createSql(config.DATABASE_URL, {
    max: 1,
    timeoutMs: 60_000,
    applicationName: "csecbridge-migrate",
  });
  try {
    const applied = await migrate(sql, migrations);
    log.info(
      { applied, total: migrations.length },
      applied.length ? "migrations applied" : "database up to date",
    );
    return 0;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error("csecbridge-migrate: failed:", err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
