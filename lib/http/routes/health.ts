import { Hono } from "hono";
import type { Registry } from "../../metrics/registry.ts";
import type { AppDeps } from "../app.ts";
import { guarded } from "../dependency.ts";

/**
 * Liveness says only "the process answers"; readiness says "PostgreSQL and Redis answer";
 * /metrics is the Prometheus text of this process (no token, like the probes: keep it off the
 * public ingress, docs/operations.md).
 */
export function healthRoutes(deps: AppDeps, registry: Registry) {
  const app = new Hono();
  app.get("/metrics", async (c) =>
    c.body(await registry.metrics(), 200, {
      "content-type": registry.contentType,
      "cache-control": "no-store",
    }),
  );
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
