import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { newSecret } from "../helpers/receiver.ts";
import { createTestRedis, type TestRedis } from "../helpers/redis.ts";
import { spawnService, waitUntil } from "../helpers/spawn-service.ts";

// The webhooks service refuses to start on signing secrets it cannot use, naming the variable
// and never its value; with good ones it starts and stops cleanly.
let dir: string;
let db: TestDatabase;
let r: TestRedis;
beforeAll(async () => {
  db = await createTestDatabase();
  r = await createTestRedis();
  dir = mkdtempSync(join(tmpdir(), "csb-wh-start-"));
  writeFileSync(
    join(dir, "policy.yaml"),
    `clients:
  ticketing:
    providers: [aws]
    webhooks:
      endpoints: [{ url: "https://hooks.example/" }]
      events: [grant.revoked]
      secrets: [{ env: TICKETING_SECRET_A }, { env: TICKETING_SECRET_B }]
`,
  );
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await r.cleanup();
  await db.drop();
});

const env = (more: Record<string, string>) => ({
  DATABASE_URL: db.url,
  REDIS_URL: r.url,
  REDIS_KEY_PREFIX: r.prefix,
  POLICY_FILE: join(dir, "policy.yaml"),
  LOG_LEVEL: "info",
  METRICS_PORT: "0", // a free port: never the default 9464 another process may hold
  ...more,
});

describe("csecbridge-webhooks start-up", () => {
  test("an unset or malformed secret stops the start with exit 2, naming the variable, not the value", async () => {
    const s = spawnService(
      "services/webhooks/main.ts",
      env({ TICKETING_SECRET_A: "not-a-secret-value-123" }),
    );
    expect(await s.proc.exited).toBe(2);
    const out = s.output();
    expect(out).toContain("TICKETING_SECRET_A: must be a Standard Webhooks secret");
    expect(out).toContain("TICKETING_SECRET_B: unset");
    expect(out).not.toContain("not-a-secret-value-123");
  });

  test("with both secrets it starts, logs counts (never secrets), and stops on SIGTERM", async () => {
    const [a, b] = [newSecret(), newSecret()];
    const s = spawnService(
      "services/webhooks/main.ts",
      env({ TICKETING_SECRET_A: a, TICKETING_SECRET_B: b }),
    );
    await waitUntil(async () => s.output().includes("webhooks service started"), "start");
    expect(await s.stop("SIGTERM")).toBe(0);
    const out = s.output();
    expect(out).toContain('"ticketing":{"endpoints":1,"secrets":2}');
    expect(out).not.toContain(a.slice(6));
    expect(out).not.toContain(b.slice(6));
  });
});
