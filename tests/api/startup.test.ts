import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { createTestRedis, type TestRedis } from "../helpers/redis.ts";
import { spawnService, waitUntil } from "../helpers/spawn-service.ts";
import { freePort } from "../helpers/throwaway.ts";

// Guarantee 6's last sentence: no token, no dev token, unless development is asked for explicitly.
describe("API start-up: tokens", () => {
  let db: TestDatabase;
  let r: TestRedis;
  beforeAll(async () => {
    [db, r] = await Promise.all([createTestDatabase(), createTestRedis()]);
  });
  afterAll(async () => {
    await r?.cleanup();
    await db?.drop();
  });

  const base = () => ({
    DATABASE_URL: db.url,
    REDIS_URL: r.url,
    REDIS_KEY_PREFIX: r.prefix,
    HOST: "127.0.0.1",
  });

  /** Runs the API with `env` and expects it to exit by itself; returns its code and output. */
  async function exitOf(env: Record<string, string>): Promise<{ code: number; out: string }> {
    const svc = spawnService("services/api/main.ts", { ...base(), PORT: String(freePort()), ...env });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const code = await Promise.race([
      svc.proc.exited,
      new Promise<number>((resolve) => {
        timer = setTimeout(() => {
          svc.proc.kill("SIGKILL");
          resolve(-1); // still running after the deadline: it started, which is what must not happen
        }, 20_000);
      }),
    ]);
    clearTimeout(timer);
    // The exit can be seen before the last of stderr is read.
    await waitUntil(async () => svc.output().includes("\n"), "the exit line", 5000).catch(() => {});
    return { code, out: svc.output() };
  }

  for (const nodeEnv of [undefined, "development", "test", "production"]) {
    test(`no API_TOKENS and no CSECBRIDGE_DEV (NODE_ENV=${nodeEnv ?? "unset"}) → exit 2, one line naming API_TOKENS`, async () => {
      const { code, out } = await exitOf(nodeEnv ? { NODE_ENV: nodeEnv } : {});
      expect(code).toBe(2);
      const lines = out.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain("API_TOKENS");
      expect(out).not.toContain("dev-token");
    }, 30_000);
  }

  test("CSECBRIDGE_DEV=0 is the same as unset", async () => {
    const { code, out } = await exitOf({ CSECBRIDGE_DEV: "0" });
    expect(code).toBe(2);
    expect(out).toContain("API_TOKENS");
  }, 30_000);

  test("CSECBRIDGE_DEV=1 with NODE_ENV=production still refuses", async () => {
    const { code, out } = await exitOf({ CSECBRIDGE_DEV: "1", NODE_ENV: "production" });
    expect(code).toBe(2);
    expect(out.trim().split("\n")).toHaveLength(1);
    expect(out).toContain("API_TOKENS");
  }, 30_000);

  /** Starts the API and waits until it answers; the caller stops it. */
  async function started(env: Record<string, string>) {
    const port = freePort();
    const svc = spawnService("services/api/main.ts", { ...base(), PORT: String(port), ...env });
    const url = `http://127.0.0.1:${port}`;
    await waitUntil(async () => (await fetch(`${url}/readyz`)).status === 200, "api ready", 20_000);
    const schema = (token: string) =>
      fetch(`${url}/api/v1/schema`, { headers: { authorization: `Bearer ${token}` } }).then(
        (res) => res.status,
      );
    return { svc, schema };
  }

  test("CSECBRIDGE_DEV=1 without API_TOKENS: the dev token works, and the start says so", async () => {
    const { svc, schema } = await started({ CSECBRIDGE_DEV: "1" });
    try {
      expect(await schema("dev-token-change-me-0000")).toBe(200);
      expect(await schema("dev-token-change-me-0001")).toBe(401);
      expect(svc.output()).toContain("development token in use");
    } finally {
      expect(await svc.stop()).toBe(0);
    }
  }, 30_000);

  test("with API_TOKENS the dev token is refused, even with CSECBRIDGE_DEV=1; rotated secrets both work", async () => {
    const { svc, schema } = await started({
      CSECBRIDGE_DEV: "1",
      API_TOKENS: "alice:old-secret-0123456789,alice:new-secret-0123456789",
    });
    try {
      expect(await schema("dev-token-change-me-0000")).toBe(401);
      expect(await schema("old-secret-0123456789")).toBe(200);
      expect(await schema("new-secret-0123456789")).toBe(200);
      expect(svc.output()).not.toContain("secret-0123456789");
      expect(svc.output()).toContain('"alice":2');
    } finally {
      expect(await svc.stop()).toBe(0);
    }
  }, 30_000);
});
