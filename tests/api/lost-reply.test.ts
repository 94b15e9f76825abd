import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { parseApiTokens } from "../../lib/auth/api-tokens.ts";
import { createApp } from "../../lib/http/app.ts";
import { createLogger } from "../../lib/logging/logger.ts";
import { createRedis, type Redis } from "../../lib/redis/connect.ts";
import { awsGrant, startWorkerHarness, type WorkerHarness } from "../fixtures/worker-harness.ts";
import { TEST_FALLBACK_LIMIT } from "../helpers/api.ts";
import { waitUntil } from "../helpers/spawn-service.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";

// "A 503 means nothing happened" when the answer to the LPUSH is lost on the wire: the push
// reaches Redis, the API never hears back. Redis is reached through a proxy that swallows replies.
let h: WorkerHarness;
let proxy: TcpProxy;
let proxied: Redis;
let app: ReturnType<typeof createApp>;
const TOKEN = "lost-reply-secret-0123456789";

beforeAll(async () => {
  h = await startWorkerHarness();
  proxy = await startTcpProxy(Number(new URL(h.api.r.url).port || 6379));
});
// A reply lost on a connection leaves it out of step (the next reply would answer the lost
// command): like a real client, each test starts on a fresh connection.
beforeEach(async () => {
  proxy.passReplies();
  proxied?.disconnect();
  proxied = createRedis(`redis://127.0.0.1:${proxy.port}`, { keyPrefix: h.api.r.prefix });
  await waitUntil(async () => proxied.status === "ready", "proxied redis");
  app = createApp({
    sql: h.api.db.sql,
    redis: proxied,
    log: createLogger({ service: "test-api", level: "silent" }),
    clients: parseApiTokens(`tester:${TOKEN}`, { minSecretLength: 8 }),
    policy: null,
    now: () => new Date(),
    checkMigrated: async () => {},
    rateLimits: { enabled: false, fallback: TEST_FALLBACK_LIMIT },
    limits: {
      bodyBytes: 65536,
      maxGrantDurationMs: 86_400_000,
      dbTimeoutMs: 2000,
      redisTimeoutMs: 800,
      cacheSettledSeconds: 300,
      cacheMovingSeconds: 2,
      retryAfterSeconds: 1,
    },
  });
});
afterAll(async () => {
  proxied.disconnect();
  proxy.stop();
  await h.close();
});

const post = (body: unknown) =>
  app.request("/api/v1/requests", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
const rows = async (user: string) => [
  ...(await h.api.db.sql<{ correlation_id: string; status: string }[]>`
    SELECT correlation_id, status FROM requests WHERE principal = ${`user/${user}`}`),
];

describe("the LPUSH landed but its reply was lost", () => {
  test("a worker took the job meanwhile: the request is being carried out, so 202, not 503", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
    proxy.holdReplies();
    const answer = post(awsGrant("carol", arn));
    // The push reaches Redis; a worker takes the job while the API waits for a reply that never comes.
    await waitUntil(async () => (await h.api.r.redis.llen("queue:aws")) > 0, "the job in the queue");
    const raw = (await h.api.r.redis.rpop("queue:aws")) ?? "null";
    await h.run(JSON.parse(raw));
    const res = await answer;
    expect(res.status).toBe(202);
    const { correlation_id } = (await res.json()) as { correlation_id: string };
    expect(await rows("carol")).toEqual([{ correlation_id, status: "SUCCESS" }]);
  });

  test("no worker took it yet: the row is removed, 503, and the job that landed does nothing", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess";
    proxy.holdReplies();
    const res = await post(awsGrant("dave", arn));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await rows("dave")).toEqual([]);
    const raw = (await h.api.r.redis.rpop("queue:aws")) ?? "null";
    const before = h.cloud.aws.snapshot().requests;
    expect(await h.run(JSON.parse(raw))).toBeUndefined();
    expect(h.cloud.aws.snapshot().requests).toEqual(before);
    expect(h.cloud.aws.snapshot().users.dave?.attachedPolicies).not.toContain(arn);
  });
});
