import { Hono } from "hono";
import type { AppDeps } from "../app.ts";
import { guarded } from "../dependency.ts";

/** Liveness says only "the process answers"; readiness says "PostgreSQL and Redis answer". */
export function healthRoutes(deps: AppDeps) {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    const timeout = Math.min(deps.limits.dbTimeoutMs, 2000);
    const [pg, redis] = await Promise.all([
      guarded("postgres", timeout, async () => {
        await deps.sql`SELECT 1`;
        await deps.checkMigrated();
      }).then(
        () => "ok",
        (err: unknown) =>
          err instanceof Error && err.name === "UnmigratedDatabaseError" ? "unmigrated" : "down",
      ),
      guarded("redis", timeout, () => deps.redis.ping()).then(
        () => "ok",
        () => "down",
      ),
    ]);
    const ready = pg === "ok" && redis === "ok";
    return c.json({ status: ready ? "ready" : "unavailable", postgres: pg, redis }, ready ? 200 : 503);
  });
  return app;
}
