import { type Env, Hono, type MiddlewareHandler } from "hono";
import type { Redis } from "ioredis";
import type { ApiClient } from "../auth/api-tokens.ts";
import type { Caller } from "../auth/authorize.ts";
import type { Sql } from "../db/connect.ts";
import type { Logger } from "../logging/logger.ts";
import { type HttpMetrics, httpMetrics } from "../metrics/http-metrics.ts";
import { createRegistry, type Registry } from "../metrics/registry.ts";
import type { QueryInterpreter } from "../nlq/interpreter.ts";
import type { Policy } from "../policy/schema.ts";
import { type RateLimit, rateLimitFor } from "../ratelimit/limits.ts";
import { answerWrongMethods } from "./method-not-allowed.ts";
import { authenticate } from "./middleware/authenticate.ts";
import { closeOnUnreadBody, declaredBodyLimit } from "./middleware/body-hygiene.ts";
import { measureHttp } from "./middleware/http-metrics.ts";
import { rateLimit } from "./middleware/rate-limit.ts";
import { requestLogger } from "./middleware/request-logger.ts";
import { problemHeaders, problemResponse, toProblem } from "./problem.ts";
import { docsRoutes, PUBLIC_API_PATHS } from "./routes/docs.ts";
import { healthRoutes } from "./routes/health.ts";
import { requestRoutes } from "./routes/requests.ts";
import { schemaRoutes } from "./routes/schema.ts";
import { searchRoutes } from "./routes/search.ts";
import { statsRoutes } from "./routes/stats.ts";
import { webhookRoutes } from "./routes/webhooks.ts";

export interface AppDeps {
  sql: Sql;
  /** Read-only paths (a status read on a cache miss); default `sql`. Writes never use it. */
  sqlRead?: Sql;
  redis: Redis;
  log: Logger;
  clients: readonly ApiClient[];
  policy: Policy | null;
  rateLimits: {
    /** Off only for benchmarks that compare with and without (RATE_LIMITS=off). */
    enabled: boolean;
    /** The limit of a client the policy gives none (DEFAULT_RATE_LIMIT in production). */
    fallback: RateLimit;
  };
  now: () => Date;
  /** Plain-English search; the deterministic parser (lib/nlq) when not given. */
  interpreter?: QueryInterpreter;
  /** Resolves when the database has every migration this build needs (checked lazily by /readyz). */
  checkMigrated: () => Promise<void>;
  /**
   * The process's metrics (GET /metrics). Optional where tests build deps: the app then makes
   * its own registry, so /metrics always answers.
   */
  metrics?: { registry: Registry; http: HttpMetrics };
  limits: {
    bodyBytes: number;
    maxGrantDurationMs: number;
    dbTimeoutMs: number;
    redisTimeoutMs: number;
    cacheSettledSeconds: number;
    cacheMovingSeconds: number;
    retryAfterSeconds: number;
  };
}

export interface AppEnv {
  Variables: { client: string; caller: Caller; correlationId?: string };
}

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const metrics = deps.metrics ?? defaultMetrics();
  app.use("*", measureHttp(metrics.http));
  app.use("*", requestLogger(deps.log));
  app.use("*", closeOnUnreadBody(deps.limits.bodyBytes));
  // Everything under /api/v1 is authenticated here, once, before any route can read a body; a
  // route added to any router mounted below is covered without doing anything. The only
  // exceptions are the API's own description and its reference page, by exact path.
  app.use("/api/v1/*", exceptPublic(authenticate(deps.clients, deps.policy)));
  if (deps.rateLimits.enabled) {
    // Resolved once per configured client: the policy does not change while the process runs.
    const limits = new Map<string, RateLimit>(
      deps.clients.map((c) => [c.name, rateLimitFor(deps.policy, c.name, deps.rateLimits.fallback)]),
    );
    const limitFor = (client: string) => limits.get(client) ?? deps.rateLimits.fallback;
    app.use(
      "/api/v1/*",
      exceptPublic(
        rateLimit({ redis: deps.redis, log: deps.log, limitFor, redisTimeoutMs: deps.limits.redisTimeoutMs }),
      ),
    );
  }
  // After authentication, so a caller without a token gets 401 whatever it sends.
  app.use("*", declaredBodyLimit(deps.limits.bodyBytes));

  app.route("/", healthRoutes(deps, metrics.registry));
  app.route("/api/v1", schemaRoutes(deps));
  app.route("/api/v1", docsRoutes());
  app.route("/api/v1/requests", requestRoutes(deps));
  app.route("/api/v1", statsRoutes(deps));
  app.route("/api/v1", searchRoutes(deps));
  app.route("/api/v1/webhooks", webhookRoutes(deps));
  answerWrongMethods(app); // last of the routes: 405 + Allow for every path above

  app.notFound(() =>
    problemResponse({
      type: "https://csecbridge.dev/problems/not_found",
      title: "Not found",
      status: 404,
      detail: "no such endpoint",
      code: "not_found",
    }),
  );
  // The one place errors become HTTP answers.
  app.onError((err, c) => {
    const problem = toProblem(err);
    if (problem.status >= 500) {
      deps.log.error({ err, correlation_id: c.get("correlationId") }, "request failed");
    }
    return problemResponse(problem, problemHeaders(err, problem, deps.limits.retryAfterSeconds));
  });
  return app;
}

function defaultMetrics(): { registry: Registry; http: HttpMetrics } {
  const registry = createRegistry("csecbridge-api", "test");
  return { registry, http: httpMetrics(registry) };
}

/** A middleware for everything but PUBLIC_API_PATHS (exact paths: the API's own description). */
function exceptPublic<E extends Env>(mw: MiddlewareHandler<E>): MiddlewareHandler<E> {
  return (c, next) => (PUBLIC_API_PATHS.has(c.req.path) ? next() : mw(c, next));
}
