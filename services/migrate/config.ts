import { baseEnv, databaseEnv, parseEnv } from "../../lib/config/env.ts";

export const migrateEnv = { ...baseEnv, DATABASE_URL: databaseEnv.DATABASE_URL };

export const loadMigrateConfig = (env: Record<string, string | undefined>) => parseEnv(migrateEnv, env);
