// The bare reference for `bun run bench api`: what a POST and a cached GET cost with nothing but a
// token check, JSON.parse, one INSERT and one LPUSH (GET: one Redis GET). No validation, guardrail,
// audit row, idempotency, rate limit, metrics or log line. Same runtime, router, drivers and pool.
import { randomUUID } from "node:crypto";
import { Hono } from "hono";
import { Redis } from "ioredis";
import postgres from "postgres";

const env = (k: string) => process.env[k] ?? "";
const sql = postgres(env("DATABASE_URL"), { max: 10, onnotice: () => {} });
const redis = new Redis(env("REDIS_URL"), { keyPrefix: env("REDIS_KEY_PREFIX") });
const bearer = `Bearer ${env("TOKEN")}`;
const app = new Hono();
app.post("/api/v1/requests", async (c) => {
  if (c.req.header("authorization") !== bearer) return c.json({ error: "unauthorized" }, 401);
  const body = JSON.parse(await c.req.text()) as { provider: string; action: string };
  const id = randomUUID();
  await sql`INSERT INTO requests (correlation_id, cloud_provider, action, client, request_payload,
              request_hash, access_key, principal, expires_at, revoke_at)
            VALUES (${id}, ${body.provider}, ${body.action}, 'bench', ${sql.json(body as never)},
              'ref', 'ref', 'ref', now() + interval '2 hours', now() + interval '2 hours')`;
  await redis.lpush(`queue:${body.provider}`, JSON.stringify({ id, request: body }));
  return c.json({ correlation_id: id, status: "PENDING" }, 202);
});
app.get("/api/v1/requests/:id", async (c) => {
  if (c.req.header("authorization") !== bearer) return c.json({ error: "unauthorized" }, 401);
  const cached = await redis.get(c.req.param("id")); // our cache key is the id itself
  return cached === null
    ? c.json({ error: "not found" }, 404)
    : c.body(cached, 200, { "content-type": "application/json" });
});
app.get("/readyz", (c) => c.text("ok"));
Bun.serve({ port: Number(env("PORT")), hostname: "127.0.0.1", fetch: app.fetch });
