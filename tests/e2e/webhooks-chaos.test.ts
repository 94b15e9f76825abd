import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import type { Sql } from "../../lib/db/connect.ts";
import { insertRequest } from "../../lib/db/requests.ts";
import { claimForProcessing, markSucceeded } from "../../lib/db/transitions.ts";
import { createRedis, type Redis } from "../../lib/redis/connect.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { type Hit, newSecret, type Receiver, startReceiver } from "../helpers/receiver.ts";
import { type Service, spawnService, waitUntil } from "../helpers/spawn-service.ts";
import { type ThrowawayRedis, throwawayRedis } from "../helpers/throwaway.ts";

// Guarantee 8 under failure: the webhooks service is killed (-9) while sends are in flight and
// Redis then loses everything (FLUSHALL) — queued jobs, delayed retries, slot holders. Every
// event is still delivered, from the PostgreSQL outbox and deliveries; a send that was cut off
// comes again under the same webhook-id. Real processes: the webhooks service and the scheduler
// (whose reconciler rebuilds queue:webhooks), on a throwaway Redis.
setDefaultTimeout(90_000);

const SECRET = newSecret();
const HANGING = 3;

describe("webhooks chaos: kill -9 mid-send, then FLUSHALL", () => {
  let db: TestDatabase;
  let rd: ThrowawayRedis;
  let redis: Redis;
  let receiver: Receiver;
  let dir: string;
  const services: Service[] = [];
  const held: (() => void)[] = [];

  const env = () => ({
    DATABASE_URL: db.url,
    REDIS_URL: rd.url,
    LOG_LEVEL: "warn",
  });
  const startWebhooks = () => {
    const s = spawnService("services/webhooks/main.ts", {
      ...env(),
      POLICY_FILE: join(dir, "policy.yaml"),
      CHAOS_WEBHOOK_SECRET: SECRET,
      WEBHOOKS_ALLOW_PRIVATE: "1",
      WEBHOOKS_CONCURRENCY: String(HANGING),
      WEBHOOKS_TIMEOUT_MS: "20000",
      WEBHOOKS_BACKOFF_BASE_MS: "100",
      WEBHOOKS_BACKOFF_MAX_MS: "500",
      WEBHOOKS_DISPATCH_INTERVAL_MS: "50",
      WORKER_HEARTBEAT_INTERVAL_MS: "200",
      METRICS_PORT: "0", // a free port: never the default 9464 another process may hold
    });
    services.push(s);
    return s;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    rd = throwawayRedis();
    await rd.start();
    redis = createRedis(rd.url);
    redis.on("error", () => {});
    await waitUntil(async () => redis.status === "ready", "redis");
    // The first sends hang (the service is mid-send when it dies); every later one is taken.
    receiver = startReceiver({
      respond: (_hit, n) =>
        n <= HANGING
          ? new Promise<Response>((resolve) => held.push(() => resolve(new Response(null, { status: 204 }))))
          : new Response(null, { status: 204 }),
    });
    dir = mkdtempSync(join(tmpdir(), "csb-wh-chaos-"));
    writeFileSync(
      join(dir, "policy.yaml"),
      `clients:
  chaos:
    providers: [aws]
    webhooks:
      endpoints: [{ url: "${receiver.url}", max_in_flight: ${HANGING} }]
      events: [request.succeeded]
      secrets: [{ env: CHAOS_WEBHOOK_SECRET }]
`,
    );
    services.push(
      spawnService("services/scheduler/main.ts", {
        ...env(),
        LOG_LEVEL: "info", // its rebuilds and periodic requeues, for the message of a failure
        SCHEDULER_INTERVAL_MS: "100",
        RECONCILE_INTERVAL_MS: "300",
        WORKER_HEARTBEAT_TIMEOUT_MS: "1500",
      }),
    );
  });

  afterAll(async () => {
    for (const release of held) release();
    await Promise.all(services.map((s) => s.stop("SIGKILL")));
    await receiver.stop();
    redis.disconnect();
    await rd.stop();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("every event is delivered; a send cut off by the kill comes again with the same webhook-id", async () => {
    const first = await succeed(db.sql, 12);
    const webhooks = startWebhooks();
    // The service is mid-send: every one of its slots holds a request the receiver has not answered.
    await waitUntil(async () => receiver.hits.length >= HANGING, "sends in flight", 30_000);
    webhooks.proc.kill("SIGKILL");
    await webhooks.proc.exited;
    await redis.flushall();
    // More status changes while no webhooks service runs and Redis is empty: only the outbox has them.
    const second = await succeed(db.sql, 6);
    for (const release of held) release(); // the killed process's sockets are gone anyway

    startWebhooks();
    const ids = [...first, ...second];
    await waitUntil(
      async () => {
        const [row] = await db.sql<{ n: number }[]>`
          SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'delivered'`;
        return row?.n === ids.length;
      },
      "every delivery delivered",
      60_000,
    ).catch(async (err: unknown) => {
      // What was left, and what the services said, so a failure can be read from the CI log.
      const left = await db.sql`
        SELECT id, status, attempts, lease_job, lease_until, next_attempt_at, last_error
        FROM webhook_deliveries WHERE status <> 'delivered'`;
      const undispatched = await db.sql`
        SELECT event_id, correlation_id, event_type FROM webhook_outbox WHERE dispatched_at IS NULL`;
      const said = services.map((s) => s.output().slice(-4000)).join("\n---\n");
      throw new Error(
        `${String(err)}\nleft: ${JSON.stringify(left)}\nundispatched: ${JSON.stringify(undispatched)}\n${said}`,
      );
    });
    const rows = await db.sql<{ id: string; correlation_id: string }[]>`
      SELECT id, correlation_id FROM webhook_deliveries`;
    expect(rows.map((r) => r.correlation_id).sort()).toEqual([...ids].sort());

    // Every event reached the receiver, signed; duplicates share the webhook-id of their delivery.
    const byId = new Map<string, Hit[]>();
    for (const hit of receiver.hits) {
      new Webhook(SECRET).verify(hit.body, hit.headers);
      const id = hit.headers["webhook-id"] ?? "";
      byId.set(id, [...(byId.get(id) ?? []), hit]);
    }
    expect([...byId.keys()].sort()).toEqual(rows.map((r) => r.id).sort());
    const cutOff = receiver.hits.slice(0, HANGING).map((x) => x.headers["webhook-id"] ?? "");
    for (const id of cutOff) {
      const copies = byId.get(id) ?? [];
      expect(copies.length).toBeGreaterThanOrEqual(2);
      expect(new Set(copies.map((c) => c.body)).size).toBe(1);
      const row = rows.find((r) => r.id === id);
      expect(
        (JSON.parse(copies[0]?.body ?? "{}") as { data: { correlation_id: string } }).data.correlation_id,
      ).toBe(row?.correlation_id ?? "?");
    }
  });
});

/**
 * `n` grants of client "chaos" taken to SUCCESS through the real transitions (each writes its
 * outbox row). Each in one transaction: the scheduler running beside the test rebuilds queues from
 * PostgreSQL after the FLUSHALL, and a PENDING row it saw would be leased to a job of its own, so
 * this stand-in worker's claim would fail (it did once in CI: 17 events instead of 18).
 */
async function succeed(sql: Sql, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = randomUUID();
    const payload = {
      provider: "aws",
      action: "grant",
      principal: { type: "user", name: `u${i}` },
      permission: { type: "managed_policy", policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
      duration: "PT1H",
    };
    await sql.begin(async (tx) => {
      await insertRequest(tx, {
        correlationId: id,
        provider: "aws",
        action: "grant",
        client: "chaos",
        payload,
        requestHash: id,
        idempotencyKey: null,
        accessKey: `aws:user/u${i}-${id}:policy:arn:aws:iam::aws:policy/readonlyaccess`,
        principal: `user/u${i}`,
        ticket: null,
        requestedBy: null,
        expiresAt: null,
        durationMs: 3_600_000,
      });
      if (!(await claimForProcessing(tx, id, `job-${id}`, 60_000))) throw new Error(`claim of ${id} failed`);
      if (!(await markSucceeded(tx, id, {}, { pre_existing: false })))
        throw new Error(`SUCCESS of ${id} failed`);
    });
    ids.push(id);
  }
  return ids;
}
