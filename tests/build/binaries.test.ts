import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { type Built, build, services } from "../../scripts/build.ts";
import { createEmptyDatabaseName, createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { newSecret } from "../helpers/receiver.ts";
import { createTestRedis, type TestRedis } from "../helpers/redis.ts";
import { waitUntil } from "../helpers/spawn-service.ts";
import { freePort } from "../helpers/throwaway.ts";

setDefaultTimeout(120_000);

// `bun run build`'s binaries, run as a container would: an empty environment but their settings,
// and a PATH with no Bun (nor openssl, nor anything else) on it.
describe("compiled binaries (bun build --compile)", () => {
  let dir: string;
  let bin: Map<string, Built>;
  let db: TestDatabase;
  let r: TestRedis;
  let emptyPath: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "csb-dist-"));
    emptyPath = join(dir, "empty-path");
    const built = await build({ outdir: join(dir, "dist") });
    bin = new Map(built.map((b) => [b.service, b]));
    db = await createTestDatabase();
    r = await createTestRedis();
  });
  afterAll(async () => {
    await r?.cleanup();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (service: string, args: string[], env: Record<string, string>) => {
    const file = bin.get(service)?.file;
    if (!file) throw new Error(`no binary for ${service}`);
    return Bun.spawn([file, ...args], {
      env: { PATH: emptyPath, ...env }, // nothing inherited
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
  };
  const output = async (p: ReturnType<typeof run>) =>
    `${await new Response(p.stdout).text()}${await new Response(p.stderr).text()}`;

  /**
   * Starts a long-running binary, waits for each of `urls` to answer 200, runs `whileUp`, then
   * SIGTERM must exit 0.
   */
  async function serveThenStop(
    service: string,
    env: Record<string, string>,
    urls: string[],
    whileUp?: () => Promise<void>,
  ) {
    const proc = run(service, [], env);
    try {
      for (const url of urls) {
        await waitUntil(async () => (await fetch(url)).status === 200, `${service} ${url}`, 20_000).catch(
          async (err: unknown) => {
            proc.kill("SIGKILL");
            throw new Error(`${(err as Error).message}\n${await output(proc)}`);
          },
        );
      }
      await whileUp?.();
      proc.kill("SIGTERM");
      const code = await proc.exited;
      expect({ service, code }).toEqual({ service, code: 0 });
    } finally {
      proc.kill("SIGKILL");
    }
  }

  test("one binary per service, ui included once it exists, and no Bun on their PATH", () => {
    expect([...bin.keys()]).toEqual(services());
    expect(services()).toEqual(expect.arrayContaining(["api", "cloudsim", "migrate", "scheduler", "worker"]));
    expect(existsSync(join("services", "ui", "main.ts"))).toBe(bin.has("ui"));
    expect(Bun.which("bun", { PATH: emptyPath })).toBeNull();
  });

  test("each answers --help and --version without any setting", async () => {
    for (const service of bin.keys()) {
      for (const flag of ["--help", "--version"]) {
        const p = run(service, [flag], {});
        const out = await output(p);
        expect({ service, flag, code: await p.exited }).toEqual({ service, flag, code: 0 });
        expect(out).toMatch(/^csecbridge-\S+ \d+\.\d+\.\d+/);
        if (flag === "--help") expect(out).toContain("Settings (environment variables");
      }
    }
  });

  // What each service needs to come up, and how it shows it is up. A service without an entry
  // here (a new one) fails the test until it gets one.
  const smoke: Record<string, () => Promise<void>> = {
    async migrate() {
      const empty = await createEmptyDatabaseName();
      try {
        const p = run("migrate", [], { DATABASE_URL: empty.url });
        const out = await output(p);
        expect({ code: await p.exited, out }).toMatchObject({ code: 0 });
        expect(out).toContain("migrations applied");
      } finally {
        await empty.drop();
      }
    },
    async api() {
      const port = freePort();
      const base = `http://127.0.0.1:${port}`;
      await serveThenStop(
        "api",
        {
          DATABASE_URL: db.url,
          REDIS_URL: r.url,
          REDIS_KEY_PREFIX: r.prefix,
          API_TOKENS: "ci:binary-test-secret-000",
          PORT: String(port),
          HOST: "127.0.0.1",
        },
        // The reference page's bundle is a file embedded in the binary.
        [`${base}/healthz`, `${base}/readyz`, `${base}/api/v1/docs/scalar.js`, `${base}/metrics`],
      );
    },
    async worker() {
      const port = freePort();
      await serveThenStop(
        "worker",
        {
          DATABASE_URL: db.url,
          REDIS_URL: r.url,
          REDIS_KEY_PREFIX: r.prefix,
          WORKER_PROVIDER: "aws",
          AWS_ACCESS_KEY_ID: "AKIATESTTESTTESTTEST",
          AWS_SECRET_ACCESS_KEY: "test",
          AWS_ENDPOINT_URL_IAM: "http://127.0.0.1:9",
          METRICS_PORT: String(port),
          METRICS_HOST: "127.0.0.1",
        },
        [`http://127.0.0.1:${port}/healthz`, `http://127.0.0.1:${port}/metrics`],
      );
    },
    async scheduler() {
      const port = freePort();
      await serveThenStop(
        "scheduler",
        {
          DATABASE_URL: db.url,
          REDIS_URL: r.url,
          REDIS_KEY_PREFIX: r.prefix,
          METRICS_PORT: String(port),
          METRICS_HOST: "127.0.0.1",
        },
        [`http://127.0.0.1:${port}/healthz`, `http://127.0.0.1:${port}/metrics`],
      );
    },
    async webhooks() {
      const port = freePort();
      // The policy names a signing secret; the binary must read the file and the secret to start.
      const policy = join(dir, "webhooks-policy.yaml");
      writeFileSync(
        policy,
        [
          "clients:",
          "  ci:",
          "    webhooks:",
          '      endpoints: [{ url: "https://hooks.ci.example/" }]',
          "      events: [request.succeeded]",
          "      secrets: [{ env: CI_WEBHOOK_SECRET }]",
          "",
        ].join("\n"),
      );
      await serveThenStop(
        "webhooks",
        {
          DATABASE_URL: db.url,
          REDIS_URL: r.url,
          REDIS_KEY_PREFIX: r.prefix,
          POLICY_FILE: policy,
          CI_WEBHOOK_SECRET: newSecret(),
          METRICS_PORT: String(port),
          METRICS_HOST: "127.0.0.1",
        },
        [`http://127.0.0.1:${port}/healthz`, `http://127.0.0.1:${port}/metrics`],
      );
    },
    async ui() {
      const port = freePort();
      const metrics = freePort();
      const base = `http://127.0.0.1:${port}`;
      await serveThenStop(
        "ui",
        {
          PORT: String(port),
          HOST: "127.0.0.1",
          API_URL: "http://127.0.0.1:9", // nothing there: the dashboard itself needs no API to be served
          METRICS_PORT: String(metrics),
          METRICS_HOST: "127.0.0.1",
        },
        [`${base}/healthz`, `http://127.0.0.1:${metrics}/metrics`],
        async () => {
          // The page and its bundle are embedded in the binary.
          const page = await (await fetch(`${base}/`)).text();
          const script = /<script[^>]*src="([^"]+)"/.exec(page)?.[1];
          expect(script, "the page loads a script").toBeDefined();
          const js = await fetch(new URL(script ?? "", base));
          expect({ status: js.status, type: js.headers.get("content-type") }).toMatchObject({ status: 200 });
          expect(js.headers.get("content-type")).toContain("javascript");
          // /api goes to API_URL, which does not answer: a problem, not a hang.
          expect((await fetch(`${base}/api/v1/stats`)).status).toBe(502);
        },
      );
    },
    async "webhook-sink"() {
      const port = freePort();
      const secret = newSecret();
      const base = `http://127.0.0.1:${port}`;
      await serveThenStop(
        "webhook-sink",
        { WEBHOOK_SINK_PORT: String(port), WEBHOOK_SINK_HOST: "127.0.0.1", WEBHOOK_SINK_SECRETS: secret },
        [`${base}/received`],
        async () => {
          // A callback signed with the secret is verified by the embedded standardwebhooks.
          const body = JSON.stringify({
            type: "request.succeeded",
            timestamp: new Date().toISOString(),
            data: {},
          });
          const id = "msg_binary_smoke";
          const at = new Date();
          const signature = new Webhook(secret).sign(id, at, body);
          const res = await fetch(`${base}/hooks`, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              "webhook-id": id,
              "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
              "webhook-signature": signature,
            },
            body,
          });
          expect(res.status).toBe(204);
          const received = (await (await fetch(`${base}/received`)).json()) as { verified: boolean }[];
          expect(received.map((x) => x.verified)).toEqual([true]);
        },
      );
    },
    async cloudsim() {
      const aws = freePort();
      const azure = freePort();
      // No openssl on this PATH: the simulator makes its TLS certificates in JavaScript.
      await serveThenStop(
        "cloudsim",
        {
          CLOUDSIM_AWS_PORT: String(aws),
          CLOUDSIM_AZURE_PORT: String(azure),
          CLOUDSIM_CA_FILE: join(dir, "cloudsim-ca.pem"),
        },
        [`http://127.0.0.1:${aws}/healthz`],
      );
      expect(existsSync(join(dir, "cloudsim-ca.pem"))).toBe(true);
    },
  };

  test.each(services())("%s starts from dist/ with only its settings, and stops cleanly", async (service) => {
    const check = smoke[service];
    if (!check) throw new Error(`no smoke check for services/${service} in tests/build/binaries.test.ts`);
    await check();
  });
});
