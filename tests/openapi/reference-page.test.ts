import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveOptions } from "../../lib/http/serve.ts";
import { createTestApi, type TestApi } from "../helpers/api.ts";

// The reference page as a person opens it: a real headless Chromium (Debian package `chromium`)
// loads /api/v1/docs under its Content-Security-Policy, Scalar runs from the embedded bundle and
// renders this API's operations from /api/v1/openapi.json. Skipped where Chromium is not installed.
describe("the API reference page in a browser", () => {
  let api: TestApi;
  let server: ReturnType<typeof Bun.serve>;
  const profile = mkdtempSync(join(tmpdir(), "csb-chromium-"));
  beforeAll(async () => {
    api = await createTestApi();
    server = Bun.serve(serveOptions(api.app, { port: 0, hostname: "127.0.0.1" }));
  });
  afterAll(async () => {
    await server?.stop(true);
    await api?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  test("renders the operations from the document, with nothing from outside the server", async () => {
    const chromium = Bun.which("chromium");
    if (!chromium) {
      console.warn("SKIPPED: chromium not installed (apt-get install chromium); the page was not rendered");
      return;
    }
    const proc = Bun.spawn(
      [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${profile}`,
        "--virtual-time-budget=8000",
        "--dump-dom",
        `http://127.0.0.1:${server.port}/api/v1/docs`,
      ],
      { stdout: "pipe", stderr: "ignore" },
    );
    const dom = await new Response(proc.stdout).text();
    expect(await proc.exited).toBe(0);
    // Text only the rendered document has: Scalar ran, fetched openapi.json and drew it.
    for (const text of [
      "CSecBridge API",
      "Grant or revoke one access",
      "A request's status",
      "Revoke an active grant now",
    ]) {
      expect(dom, text).toContain(text);
    }
  }, 60_000);
});
