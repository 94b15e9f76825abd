import { Hono } from "hono";
import { InvalidIdError, ValidationError } from "../../errors/http-errors.ts";
import { fieldIssues } from "../../schemas/issues.ts";
import { deliveriesQuerySchema, deliveryIdParams } from "../../webhooks/api-schemas.ts";
import { listDeliveriesFor, redeliverFor } from "../../webhooks/deliveries-api.ts";
import type { AppDeps, AppEnv } from "../app.ts";

/** The webhook endpoints (docs/webhooks.md); authenticated by app.ts. */
export function webhookRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  const d = () => ({
    sql: deps.sql,
    redis: deps.redis,
    log: deps.log,
    dbTimeoutMs: deps.limits.dbTimeoutMs,
    redisTimeoutMs: deps.limits.redisTimeoutMs,
  });

  app.get("/deliveries", async (c) => {
    const url = new URL(c.req.url);
    const raw: Record<string, string> = {};
    const issues = [];
    for (const [k, v] of url.searchParams) {
      if (k in raw) issues.push({ pointer: `query:${k}`, detail: "given more than once" });
      raw[k] = v;
    }
    const q = deliveriesQuerySchema.safeParse(raw);
    if (!q.success || issues.length > 0) {
      const all = [
        ...issues,
        ...(q.success
          ? []
          : fieldIssues(q.error.issues).map((i) => ({ ...i, pointer: `query:${i.pointer.slice(1)}` }))),
      ];
      throw new ValidationError("invalid query", all);
    }
    if (q.data.correlation_id) c.set("correlationId", q.data.correlation_id.toLowerCase());
    const page = await listDeliveriesFor(d(), c.get("caller"), {
      ...q.data,
      ...(q.data.correlation_id ? { correlation_id: q.data.correlation_id.toLowerCase() } : {}),
    });
    return c.json(page, 200, { "cache-control": "no-store" });
  });

  app.post("/deliveries/:id/redeliver", async (c) => {
    const id = c.req.param("id");
    if (!deliveryIdParams.shape.id.safeParse(id).success)
      throw new InvalidIdError("delivery id must be a UUID");
    const view = await redeliverFor(d(), c.get("caller"), id.toLowerCase());
    return c.json({ id: view.id, status: "pending" as const }, 202);
  });
  return app;
}
