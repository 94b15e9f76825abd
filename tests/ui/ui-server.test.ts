import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { serveOptions } from "../../lib/http/serve.ts";
import { createLogger } from "../../lib/logging/logger.ts";
import { parsePolicyText } from "../../lib/policy/load.ts";
import { loadUiAssets, type UiAssets } from "../../lib/ui-server/assets.ts";
import { CONTENT_SECURITY_POLICY } from "../../lib/ui-server/security-headers.ts";
import { createUiHandler } from "../../lib/ui-server/ui-app.ts";
import dashboard from "../../ui/index.html";
import { auth, createTestApi, type TestApi } from "../helpers/api.ts";
import { seedRequests } from "../helpers/seed-requests.ts";
import { freePort } from "../helpers/throwaway.ts";

// The dashboard's server (lib/ui-server): the built files with their headers, the page for every
// route, and /api passed through to the real API, streaming included.
const POLICY = parsePolicyText("clients:\n  auditor:\n    role: auditor\n", "yaml", "ui-server.yaml");

let api: TestApi;
let apiServer: ReturnType<typeof Bun.serve>;
let assets: UiAssets;
let ui: (req: Request) => Promise<Response>;
const log = createLogger({ service: "test-ui", level: "silent" });
const at = (path: string, init?: RequestInit) => ui(new Request(`http://ui.test${path}`, init));

beforeAll(async () => {
  api = await createTestApi({ policy: POLICY });
  apiServer = Bun.serve(serveOptions(api.app, { port: 0, hostname: "127.0.0.1" }));
  assets = await loadUiAssets(dashboard);
  ui = createUiHandler({ assets, apiUrl: `http://127.0.0.1:${apiServer.port}`, log });
});
afterAll(async () => {
  await apiServer.stop(true);
  await api.close();
});

describe("the built dashboard", () => {
  test("the page, its script and its stylesheet, with hashed names", async () => {
    const page = await at("/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.headers.get("cache-control")).toBe("no-cache");
    const html = await page.text();
    const script = /src="\.\/(chunk-[a-z0-9]+\.js)"/.exec(html)?.[1];
    const style = /href="\.\/(chunk-[a-z0-9]+\.css)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect(style).toBeDefined();
    expect(html).toContain('<base href="/"');
    const js = await at(`/${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toContain("javascript");
    expect(js.headers.get("cache-control")).toContain("immutable");
    expect((await js.text()).length).toBeGreaterThan(10_000);
    expect((await at(`/${style}`)).headers.get("content-type")).toContain("text/css");
    // A revalidation of an unchanged file is a 304.
    const etag = js.headers.get("etag") ?? "";
    expect((await at(`/${script}`, { headers: { "if-none-match": etag } })).status).toBe(304);
  });

  test("every route is the page; an unknown file is a 404; writes are 405", async () => {
    for (const path of ["/requests/0b9f7c1e-6a53-4b5e-9a39-2f8d9f3c1a11", "/anything?status=FAILED"]) {
      const res = await at(path);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("<title>CSecBridge operations</title>");
    }
    expect((await at("/chunk-nope.js")).status).toBe(404);
    expect((await at("/", { method: "POST" })).status).toBe(405);
    expect(await (await at("/healthz")).text()).toBe("ok\n");
  });

  test("security headers on every answer: CSP without unsafe-inline, no framing, no referrer", async () => {
    for (const res of [await at("/"), await at("/chunk-nope.js"), await at("/api/v1/requests")]) {
      expect(res.headers.get("content-security-policy")).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    }
    expect(CONTENT_SECURITY_POLICY).not.toContain("unsafe");
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    // No inline script in the page, so the CSP can forbid it.
    expect(await (await at("/")).text()).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });
});

describe("/api is the API", () => {
  test("answers pass through, problems and their headers included", async () => {
    const refused = await at("/api/v1/requests", { headers: { cookie: "session=1" } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    expect(refused.headers.get("www-authenticate")).toContain("Bearer");
    await seedRequests(api.db.sql, [{ client: "x" }, { client: "y" }]);
    const listed = await at("/api/v1/requests?limit=1", { headers: auth("auditor") });
    expect(listed.status).toBe(200);
    const body = (await listed.json()) as { items: unknown[]; next_cursor: string | null };
    expect(body.items).toHaveLength(1);
    expect(body.next_cursor).not.toBeNull();
  });

  test("a POST body and an export stream through", async () => {
    const found = await at("/api/v1/search", {
      method: "POST",
      headers: { ...auth("auditor"), "content-type": "application/json" },
      body: JSON.stringify({ q: "aws" }),
    });
    expect(found.status).toBe(200);
    expect(((await found.json()) as { filters: unknown }).filters).toEqual({ provider: { in: ["aws"] } });
    const exported = await at("/api/v1/requests/export?format=csv", { headers: auth("auditor") });
    expect(exported.status).toBe(200);
    expect(exported.headers.get("content-disposition")).toContain("attachment");
    expect((await exported.text()).split("\r\n").filter((l) => l !== "")).toHaveLength(3);
  });

  test("an API that cannot be reached is a 502 problem, not a hang", async () => {
    const dead = createUiHandler({ assets, apiUrl: `http://127.0.0.1:${freePort()}`, log });
    const res = await dead(new Request("http://ui.test/api/v1/requests", { headers: auth("auditor") }));
    expect(res.status).toBe(502);
    expect(((await res.json()) as { code: string }).code).toBe("bad_gateway");
  });
});
