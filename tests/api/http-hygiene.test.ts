import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { PUBLIC_API_PATHS } from "../../lib/http/routes/docs.ts";
import { serveOptions } from "../../lib/http/serve.ts";
import { auth, createTestApi, samples, type TestApi, TOKENS, writtenState } from "../helpers/api.ts";
import { waitUntil } from "../helpers/spawn-service.ts";

// Issue 8, HTTP hygiene: 405 with Allow on known paths, 413 problem+json for every oversized body,
// and an unauthenticated caller never makes the server read a large body.
describe("HTTP hygiene", () => {
  let api: TestApi;
  let server: ReturnType<typeof Bun.serve>;
  beforeAll(async () => {
    api = await createTestApi();
    server = Bun.serve(serveOptions(api.app, { port: 0, hostname: "127.0.0.1" }));
  });
  afterAll(async () => {
    await server?.stop(true);
    await api?.close();
  });

  const id = crypto.randomUUID();
  const call = (method: string, path: string, headers: Record<string, string> = auth()) =>
    Promise.resolve(api.app.request(path, { method, headers }));

  describe("405 for a wrong method on a known path", () => {
    const cases: [string, string, string][] = [
      ["PUT", "/api/v1/requests", "GET, HEAD, POST"],
      ["DELETE", "/api/v1/requests", "GET, HEAD, POST"],
      ["POST", "/api/v1/requests/export", "GET, HEAD"],
      ["GET", "/api/v1/search", "POST"],
      ["DELETE", "/api/v1/stats", "GET, HEAD"],
      ["POST", `/api/v1/requests/${id}`, "GET, HEAD"],
      ["DELETE", `/api/v1/requests/${id}`, "GET, HEAD"],
      ["GET", `/api/v1/requests/${id}/revoke`, "POST"],
      ["PUT", "/api/v1/schema", "GET, HEAD"],
      ["POST", "/healthz", "GET, HEAD"],
      ["POST", "/readyz", "GET, HEAD"],
    ];
    for (const [method, path, allow] of cases) {
      test(`${method} ${path.replace(id, "{id}")} → 405, Allow: ${allow}`, async () => {
        const before = await writtenState(api);
        const res = await call(method, path);
        expect(res.status).toBe(405);
        expect(res.headers.get("allow")).toBe(allow);
        expect(res.headers.get("content-type")).toContain("application/problem+json");
        expect(((await res.json()) as { code: string }).code).toBe("method_not_allowed");
        expect(await writtenState(api)).toEqual(before);
      });
    }

    test("an unknown path is still 404; a wrong method without a token is 401 first", async () => {
      expect((await call("GET", "/api/v1/nothing-here")).status).toBe(404);
      expect((await call("DELETE", `/api/v1/requests/${id}`, {})).status).toBe(401);
    });

    test("the right methods still answer (HEAD too)", async () => {
      expect((await call("GET", "/api/v1/schema")).status).toBe(200);
      expect((await call("HEAD", "/api/v1/schema")).status).toBe(200);
      expect((await call("HEAD", "/healthz", {})).status).toBe(200);
    });
  });

  test("every /api/v1 route, whatever its method, refuses a caller without a token before anything else", async () => {
    // But the API's own description and reference page (public by design, exact paths).
    expect(
      [...PUBLIC_API_PATHS].every(
        (p) => p.startsWith("/api/v1/openapi.json") || p.startsWith("/api/v1/docs"),
      ),
    ).toBe(true);
    const routes = api.app.routes.filter(
      (r) => r.method !== "ALL" && r.path.startsWith("/api/v1") && !PUBLIC_API_PATHS.has(r.path),
    );
    expect(routes.length).toBeGreaterThanOrEqual(4);
    for (const r of routes) {
      const res = await api.app.request(r.path.replace(":id", id), {
        method: r.method,
        headers: { "content-type": "application/json", "content-length": String(50 * 1024 * 1024) },
      });
      expect([r.method, r.path, res.status]).toEqual([r.method, r.path, 401]);
    }
  });

  describe("413 for a declared body over the limit, on every endpoint", () => {
    const big = { "content-length": String(10 * 1024 * 1024) };
    for (const [method, path] of [
      ["POST", "/api/v1/requests"],
      ["POST", `/api/v1/requests/${id}/revoke`],
      ["GET", `/api/v1/requests/${id}`],
      ["GET", "/api/v1/schema"],
      ["GET", "/healthz"],
    ] as const) {
      test(`${method} ${path.replace(id, "{id}")}`, async () => {
        const headers: Record<string, string> = path.startsWith("/api") ? { ...auth(), ...big } : big;
        const res = await call(method, path, { ...headers, "content-type": "application/json" });
        expect(res.status).toBe(413);
        expect(res.headers.get("content-type")).toContain("application/problem+json");
        expect(res.headers.get("connection")).toBe("close");
      });
    }
  });

  // Over a real socket: what reaches Bun.serve and what it reads.
  describe("through a real server", () => {
    /** Sends `head` and a few body bytes, then waits for the answer and for the server to close. */
    async function exchange(head: string, bodyStart: string): Promise<{ status: number; text: string }> {
      const sock = connect(server.port ?? 0, "127.0.0.1");
      let text = "";
      let closed = false;
      sock.on("data", (d) => {
        text += d.toString();
      });
      sock.on("close", () => {
        closed = true;
      });
      sock.on("error", () => {});
      sock.write(`${head}\r\n\r\n${bodyStart}`);
      // The rest of the body never comes: had the server waited to read it, there is no answer.
      await waitUntil(async () => closed, "the server to answer and close", 10_000);
      return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text };
    }

    const authz = `Authorization: Bearer ${TOKENS.tester}`;
    const post = "POST /api/v1/requests HTTP/1.1\r\nHost: x\r\nContent-Type: application/json";

    test("unauthenticated, declaring 50 MB: 401 problem+json without the body being read", async () => {
      const res = await exchange(`${post}\r\nContent-Length: ${50 * 1024 * 1024}`, '{"provider":');
      expect(res.status).toBe(401);
      expect(res.text).toContain("application/problem+json");
      expect(res.text.toLowerCase()).toContain("connection: close");
    });

    test("authenticated, declaring 5 MB (above Bun's own default limit): our 413 problem+json", async () => {
      const res = await exchange(`${post}\r\n${authz}\r\nContent-Length: ${5 * 1024 * 1024}`, '{"provider":');
      expect(res.status).toBe(413);
      expect(res.text).toContain("application/problem+json");
      expect(res.text).toContain("payload_too_large");
    });

    test("authenticated, chunked past 64 KiB: 413 problem+json once the limit is crossed", async () => {
      const chunk = "x".repeat(0x8000);
      const chunks = Array.from({ length: 3 }, () => `8000\r\n${chunk}\r\n`).join("");
      const res = await exchange(`${post}\r\n${authz}\r\nTransfer-Encoding: chunked`, chunks);
      expect(res.status).toBe(413);
      expect(res.text).toContain("payload_too_large");
    });

    /**
     * Pushes body bytes as fast as the server takes them, up to `total`, and says how many it
     * took before closing. Bun drains an unread body to keep the connection; it must not here.
     */
    async function pushUntilClosed(head: string, chunked: boolean, total: number) {
      const sock: Socket = connect(server.port ?? 0, "127.0.0.1");
      let closed = false;
      let answer = "";
      sock.on("data", (d) => {
        answer += d.toString();
      });
      sock.on("close", () => {
        closed = true;
      });
      sock.on("error", () => {});
      sock.write(`${head}\r\n\r\n`);
      const block = Buffer.alloc(64 * 1024, 0x61);
      const frame = chunked ? Buffer.concat([Buffer.from("10000\r\n"), block, Buffer.from("\r\n")]) : block;
      let sent = 0;
      while (!closed && sent < total) {
        const flushed = sock.write(frame);
        sent += block.length;
        if (!flushed && !closed) {
          await new Promise<void>((resolve) => {
            const done = () => {
              sock.off("drain", done);
              sock.off("close", done);
              resolve();
            };
            sock.on("drain", done);
            sock.on("close", done);
          });
        }
      }
      sock.destroy();
      return { sent, closed, answer };
    }

    const TOTAL = 256 * 1024 * 1024;
    for (const chunked of [false, true]) {
      test(`an unauthenticated caller pushing a ${chunked ? "chunked" : "declared"} 256 MB body is cut off early`, async () => {
        const length = chunked ? "Transfer-Encoding: chunked" : `Content-Length: ${TOTAL}`;
        const r = await pushUntilClosed(`${post}\r\n${length}`, chunked, TOTAL);
        expect(r.closed).toBe(true);
        // What the kernel buffers hold before the close lands, nowhere near the whole body.
        expect(r.sent).toBeLessThan(32 * 1024 * 1024);
      });
    }

    test("a refused small body keeps the connection usable (no needless close)", async () => {
      const body = JSON.stringify(samples.awsManaged());
      const res = await fetch(`http://127.0.0.1:${server.port}/api/v1/requests`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer wrong-0123456789" },
        body,
      });
      expect(res.status).toBe(401);
      expect(res.headers.get("connection")).not.toBe("close");
      await res.arrayBuffer();
    });
  });
});
