import { Hono } from "hono";
import { assertMay } from "../../auth/authorize.ts";
import { InvalidIdError, ValidationError } from "../../errors/http-errors.ts";
import { checkPolicy } from "../../policy/check.ts";
import { revokeEarly } from "../../requests/early-revoke.ts";
import { readStatus } from "../../requests/read-status.ts";
import { submitRequest } from "../../requests/submit-request.ts";
import { correlationIdSchema, idempotencyKeySchema } from "../../schemas/params.ts";
import { parseRequestPayload } from "../../schemas/request.ts";
import type { AppDeps, AppEnv } from "../app.ts";
import { readJsonBody } from "../read-json-body.ts";

/** The path's correlation id, validated by the schema the OpenAPI document shows (lowercased). */
function correlationIdOf(id: string): string {
  if (!correlationIdSchema.safeParse(id).success) throw new InvalidIdError("correlation id must be a UUID");
  return id.toLowerCase();
}

/** The request endpoints; authenticated by app.ts (every route below sees `caller`). */
export function requestRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();

  // Order of work (docs/security.md): authenticate → role → parse → validate → guardrails → INSERT →
  // LPUSH → 202. The role comes before the body is read: an operator or auditor never gets that far.
  app.post("/", async (c) => {
    const caller = c.get("caller");
    assertMay(caller, "submit");
    const idempotencyKey = c.req.header("idempotency-key") ?? null;
    if (idempotencyKey !== null && !idempotencyKeySchema.safeParse(idempotencyKey).success) {
      throw new ValidationError("invalid Idempotency-Key header", [
        { pointer: "header:Idempotency-Key", detail: "must be 1-255 printable ASCII characters" },
      ]);
    }
    const body = await readJsonBody(c.req.raw, deps.limits.bodyBytes);
    const now = deps.now();
    const parsed = parseRequestPayload(body, { now, maxDurationMs: deps.limits.maxGrantDurationMs });
    if (!parsed.ok) throw new ValidationError("the request does not match the schema", parsed.issues);
    const client = caller.name;
    checkPolicy(deps.policy, client, parsed.value, now);

    const { correlationId, replayed, status } = await submitRequest(
      {
        sql: deps.sql,
        redis: deps.redis,
        log: deps.log,
        now: deps.now,
        dbTimeoutMs: deps.limits.dbTimeoutMs,
        redisTimeoutMs: deps.limits.redisTimeoutMs,
      },
      client,
      parsed.value,
      idempotencyKey,
    );
    c.set("correlationId", correlationId);
    const headers: Record<string, string> = { location: `/api/v1/requests/${correlationId}` };
    if (replayed) headers["idempotent-replayed"] = "true";
    // A replay reports where the first request has got to, not the PENDING it started as.
    return c.json({ correlation_id: correlationId, status }, 202, headers);
  });

  app.get("/:id", async (c) => {
    const correlationId = correlationIdOf(c.req.param("id"));
    c.set("correlationId", correlationId);
    const { view, cache } = await readStatus(
      {
        sql: deps.sql,
        ...(deps.sqlRead ? { sqlRead: deps.sqlRead } : {}),
        redis: deps.redis,
        log: deps.log,
        cacheTtl: {
          settledSeconds: deps.limits.cacheSettledSeconds,
          movingSeconds: deps.limits.cacheMovingSeconds,
        },
        dbTimeoutMs: deps.limits.dbTimeoutMs,
        redisTimeoutMs: deps.limits.redisTimeoutMs,
      },
      correlationId,
      c.get("caller"),
    );
    return c.json(view, 200, { "x-cache": cache, "cache-control": "no-store" });
  });
  app.post("/:id/revoke", async (c) => {
    const caller = c.get("caller");
    assertMay(caller, "revoke"); // an auditor is refused whatever the id: nothing is looked up
    const correlationId = correlationIdOf(c.req.param("id"));
    c.set("correlationId", correlationId);
    const status = await revokeEarly(
      {
        sql: deps.sql,
        redis: deps.redis,
        log: deps.log,
        policy: deps.policy,
        now: deps.now,
        dbTimeoutMs: deps.limits.dbTimeoutMs,
        redisTimeoutMs: deps.limits.redisTimeoutMs,
      },
      correlationId,
      caller,
    );
    return c.json({ correlation_id: correlationId, status, revocation: "requested" }, 202, {
      location: `/api/v1/requests/${correlationId}`,
    });
  });
  return app;
}
