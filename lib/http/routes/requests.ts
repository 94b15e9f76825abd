import { Hono } from "hono";
import { assertMay } from "../../auth/authorize.ts";
import { InvalidIdError, ValidationError } from "../../errors/http-errors.ts";
import { checkCallbackUrl, checkPolicy } from "../../policy/check.ts";
import { revokeEarly } from "../../requests/early-revoke.ts";
import { exportStream } from "../../requests/export-requests.ts";
import { extendGrant } from "../../requests/extend-grant.ts";
import { listPage, recordListAccess } from "../../requests/list-requests.ts";
import { readStatus } from "../../requests/read-status.ts";
import { readTimeline } from "../../requests/request-timeline.ts";
import { submitRequest } from "../../requests/submit-request.ts";
import { extendBodySchema } from "../../schemas/extend.ts";
import { fieldIssues } from "../../schemas/issues.ts";
import { correlationIdSchema, idempotencyKeySchema } from "../../schemas/params.ts";
import { parseRequestPayload } from "../../schemas/request.ts";
import type { AppDeps, AppEnv } from "../app.ts";
import { parseListQuery } from "../list-query.ts";
import { readJsonBody } from "../read-json-body.ts";
import { eventsQuerySchema, exportQuerySchema, pageQuerySchema } from "../schemas/requests.ts";

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
    checkCallbackUrl(deps.policy, client, parsed.value.payload.callback_url);

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

  // The list (docs/api.md): filters as query parameters (lib/requests/list-filters.ts), keyset
  // pagination newest first with an opaque cursor. A submitter's list holds only its own requests.
  app.get("/", async (c) => {
    const caller = c.get("caller");
    assertMay(caller, "list");
    const { filters, params } = parseListQuery(new URL(c.req.url).searchParams, pageQuerySchema);
    const listDeps = { sql: deps.sql, dbTimeoutMs: deps.limits.dbTimeoutMs };
    const page = await listPage(listDeps, caller, { filters, limit: params.limit, cursor: params.cursor });
    await recordListAccess(
      listDeps,
      caller,
      "list",
      { filters, cursor: params.cursor ?? null },
      page.items.length,
    );
    return c.json(page, 200, { "cache-control": "no-store" });
  });

  // The audit export: the same filtered list, every page of it, streamed (auditors only).
  app.get("/export", async (c) => {
    const caller = c.get("caller");
    assertMay(caller, "export");
    const { filters, params } = parseListQuery(new URL(c.req.url).searchParams, exportQuerySchema);
    const listDeps = { sql: deps.sql, dbTimeoutMs: deps.limits.dbTimeoutMs };
    // Recorded before the first byte; how many rows it will hold is not known yet.
    await recordListAccess(listDeps, caller, "export", { filters, format: params.format }, null);
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    const csv = params.format === "csv";
    return new Response(exportStream({ ...listDeps, log: deps.log }, caller, filters, params.format), {
      status: 200,
      headers: {
        "content-type": csv ? "text/csv; charset=utf-8; header=present" : "application/x-ndjson",
        "content-disposition": `attachment; filename="requests-${stamp}.${csv ? "csv" : "ndjson"}"`,
        "cache-control": "no-store",
      },
    });
  });

  app.get("/:id/events", async (c) => {
    const caller = c.get("caller");
    assertMay(caller, "events");
    const correlationId = correlationIdOf(c.req.param("id"));
    c.set("correlationId", correlationId);
    const q = eventsQuerySchema.safeParse({ limit: c.req.query("limit"), after: c.req.query("after") });
    if (!q.success) throw new ValidationError("invalid query parameters", fieldIssues(q.error.issues));
    const timeline = await readTimeline(
      { sql: deps.sql, dbTimeoutMs: deps.limits.dbTimeoutMs },
      caller,
      correlationId,
      q.data,
    );
    return c.json(timeline, 200, { "cache-control": "no-store" });
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
  // Order of work: role → id → body (415/413/400, 422) → visibility (404) → guardrails (403) →
  // active under the access lock (409) → write.
  app.post("/:id/extend", async (c) => {
    const caller = c.get("caller");
    assertMay(caller, "extend");
    const correlationId = correlationIdOf(c.req.param("id"));
    c.set("correlationId", correlationId);
    const raw = await readJsonBody(c.req.raw, deps.limits.bodyBytes);
    const body = extendBodySchema.safeParse(raw);
    if (!body.success) {
      throw new ValidationError("the extension does not match the schema", fieldIssues(body.error.issues));
    }
    const extended = await extendGrant(
      {
        sql: deps.sql,
        redis: deps.redis,
        log: deps.log,
        policy: deps.policy,
        maxGrantDurationMs: deps.limits.maxGrantDurationMs,
        dbTimeoutMs: deps.limits.dbTimeoutMs,
        redisTimeoutMs: deps.limits.redisTimeoutMs,
      },
      correlationId,
      caller,
      body.data,
    );
    return c.json(extended, 200, { location: `/api/v1/requests/${correlationId}` });
  });
  return app;
}
