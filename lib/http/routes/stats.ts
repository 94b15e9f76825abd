import { Hono } from "hono";
import { assertMay } from "../../auth/authorize.ts";
import { ValidationError } from "../../errors/http-errors.ts";
import { recordListAccess } from "../../requests/list-requests.ts";
import { readStats } from "../../requests/stats.ts";
import { fieldIssues } from "../../schemas/issues.ts";
import type { AppDeps, AppEnv } from "../app.ts";
import { statsQuerySchema } from "../schemas/stats.ts";

/** GET /api/v1/stats?from=&to=&bucket= (operators and auditors). */
export function statsRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.get("/stats", async (c) => {
    const caller = c.get("caller");
    assertMay(caller, "stats");
    const query = new URL(c.req.url).searchParams;
    const known = new Set(Object.keys(statsQuerySchema.shape));
    const unknown = [...new Set(query.keys())].filter((k) => !known.has(k));
    const parsed = statsQuerySchema.safeParse(Object.fromEntries(query));
    if (unknown.length > 0 || !parsed.success) {
      throw new ValidationError("invalid stats query", [
        ...unknown.map((k) => ({ pointer: `/${k}`, detail: "unknown query parameter" })),
        ...(parsed.success ? [] : fieldIssues(parsed.error.issues)),
      ]);
    }
    const stats = await readStats(
      {
        sql: deps.sql,
        redis: deps.redis,
        log: deps.log,
        dbTimeoutMs: deps.limits.dbTimeoutMs,
        redisTimeoutMs: deps.limits.redisTimeoutMs,
      },
      caller,
      parsed.data,
    );
    await recordListAccess(
      { sql: deps.sql, dbTimeoutMs: deps.limits.dbTimeoutMs },
      caller,
      "stats",
      { from: stats.from, to: stats.to, bucket: stats.bucket },
      null,
    );
    return c.json(stats, 200, { "cache-control": "no-store" });
  });
  return app;
}
