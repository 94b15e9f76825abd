import { parseApiTokens } from "../../lib/auth/api-tokens.ts";
import type { Sql } from "../../lib/db/connect.ts";
import { assertMigrated } from "../../lib/db/migrate.ts";
import { createApp } from "../../lib/http/app.ts";
import { createLogger, type Logger } from "../../lib/logging/logger.ts";
import type { Policy } from "../../lib/policy/schema.ts";
import { migrations } from "../../migrations/index.ts";
import { createTestDatabase, type TestDatabase } from "./db.ts";
import { createTestRedis, type TestRedis } from "./redis.ts";

/** Client name → secret. Roles come from the policy a test passes (none: all are submitters). */
export const TOKENS = {
  tester: "test-secret-0123456789",
  other: "other-secret-0123456789",
  limited: "limited-secret-0123456789",
  operator: "operator-secret-0123456789",
  auditor: "auditor-secret-0123456789",
  awsop: "awsop-secret-0123456789",
};
export type TestClient = keyof typeof TOKENS;
export const auth = (client: TestClient = "tester") => ({
  authorization: `Bearer ${TOKENS[client]}`,
});

export interface TestApi {
  app: ReturnType<typeof createApp>;
  db: TestDatabase;
  r: TestRedis;
  log: Logger;
  logLines: string[];
  post(body: unknown, headers?: Record<string, string>): Promise<Response>;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

/** The real app over a fresh database and a fresh Redis key namespace; requests via app.request(). */
/**
 * Limits on, through the real Redis script, but for clients the policy gives no limit so high
 * that polling tests never meet them; rate-limit tests set their own in the policy.
 */
export const TEST_FALLBACK_LIMIT = { requests: 1_000_000, perMs: 1000, burst: 1_000_000 };

export async function createTestApi(
  opts: {
    policy?: Policy | null;
    maxGrantDurationMs?: number;
    rateLimits?: boolean;
    /** The API's clock (search's "today"); the real one by default. */
    now?: () => Date;
    /** A read replica's connection (DATABASE_READ_URL); the primary by default. */
    sqlRead?: Sql;
  } = {},
): Promise<TestApi> {
  const db = await createTestDatabase();
  const r = await createTestRedis();
  const logLines: string[] = [];
  const log = createLogger({
    service: "test-api",
    level: "info",
    destination: { write: (line: string) => void logLines.push(line) },
  });
  const app = createApp({
    sql: db.sql,
    ...(opts.sqlRead ? { sqlRead: opts.sqlRead } : {}),
    redis: r.redis,
    log,
    clients: parseApiTokens(
      Object.entries(TOKENS)
        .map(([k, v]) => `${k}:${v}`)
        .join(","),
      { minSecretLength: 8 },
    ),
    policy: opts.policy ?? null,
    rateLimits: { enabled: opts.rateLimits ?? true, fallback: TEST_FALLBACK_LIMIT },
    now: opts.now ?? (() => new Date()),
    checkMigrated: () => assertMigrated(db.sql, migrations),
    limits: {
      bodyBytes: 64 * 1024,
      maxGrantDurationMs: opts.maxGrantDurationMs ?? 7 * 24 * 3600_000,
      dbTimeoutMs: 2000,
      redisTimeoutMs: 1000,
      cacheSettledSeconds: 300,
      cacheMovingSeconds: 2,
      retryAfterSeconds: 2,
    },
  });
  return {
    app,
    db,
    r,
    log,
    logLines,
    post: (body, headers = {}) =>
      Promise.resolve(
        app.request("/api/v1/requests", {
          method: "POST",
          headers: { "content-type": "application/json", ...auth(), ...headers },
          body: typeof body === "string" ? body : JSON.stringify(body),
        }),
      ),
    get: (path, headers = auth()) => Promise.resolve(app.request(path, { headers })),
    async close() {
      await r.cleanup();
      await db.drop();
    },
  };
}

/** Valid sample payloads. */
export const samples = {
  awsManaged: () => ({
    provider: "aws",
    action: "grant",
    principal: { type: "user", name: "alice" },
    permission: { type: "managed_policy", policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
    duration: "PT2H",
    requested_by: "hr-system",
    ticket: "CHG-1234",
    justification: "quarterly audit",
  }),
  azureReader: () => ({
    provider: "azure",
    action: "grant",
    principal: { id: "0b9f7c1e-6a53-4b5e-9a39-2f8d9f3c1a11", type: "User" },
    role: { name: "Reader" },
    scope: "/subscriptions/6f1d2b7a-0c1e-4a7b-9d3e-5c2a1b0f9e8d/resourceGroups/rg-dev",
    expires_at: new Date(Date.now() + 3 * 24 * 3600_000).toISOString(),
  }),
};

/** Rows and queued jobs in this test's namespace: what "nothing written" is checked against. */
export async function writtenState(api: TestApi) {
  const [{ n }] = (await api.db.sql`SELECT count(*)::int AS n FROM requests`) as unknown as [{ n: number }];
  const [{ e }] = (await api.db.sql`SELECT count(*)::int AS e FROM request_events`) as unknown as [
    { e: number },
  ];
  const aws = await api.r.redis.llen("queue:aws");
  const azure = await api.r.redis.llen("queue:azure");
  return { rows: n, events: e, jobs: aws + azure };
}
