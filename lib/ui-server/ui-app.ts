import type { Logger } from "../logging/logger.ts";
import type { UiAssets } from "./assets.ts";
import { proxyToApi } from "./proxy.ts";
import { withSecurityHeaders } from "./security-headers.ts";

export interface UiAppDeps {
  assets: UiAssets;
  apiUrl: string;
  log: Logger;
  headersTimeoutMs?: number;
}

/**
 * The dashboard's server: the built files, the page itself for every other GET (its routes live
 * in the URL: /, /requests/<id>), /api/* passed to the API, /healthz. One JSON log line per
 * request, without the query string (it holds the filters).
 */
export function createUiHandler(deps: UiAppDeps): (req: Request) => Promise<Response> {
  const headersTimeoutMs = deps.headersTimeoutMs ?? 30_000;
  return async (req) => {
    const started = performance.now();
    const { pathname } = new URL(req.url);
    let res: Response;
    if (pathname === "/api" || pathname.startsWith("/api/")) {
      res = await proxyToApi(req, { apiUrl: deps.apiUrl, headersTimeoutMs });
    } else if (pathname === "/healthz") {
      res = new Response("ok\n", { headers: { "content-type": "text/plain" } });
    } else if (req.method !== "GET" && req.method !== "HEAD") {
      res = new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
    } else {
      res = serveAsset(req, deps.assets, pathname);
    }
    deps.log.info(
      {
        method: req.method,
        path: pathname.startsWith("/api/") ? pathname : undefined,
        status: res.status,
        duration_ms: Math.round((performance.now() - started) * 100) / 100,
      },
      "request",
    );
    return withSecurityHeaders(res);
  };
}

function serveAsset(req: Request, assets: UiAssets, pathname: string): Response {
  const asset = assets.byPath.get(pathname);
  // An unknown file is a 404; any other path is a page of the dashboard.
  if (!asset && /\.[a-z0-9]+$/i.test(pathname)) return new Response("not found\n", { status: 404 });
  const a = asset ?? assets.index;
  const headers = {
    "content-type": a.contentType,
    etag: a.etag,
    "cache-control": a.immutable ? "public, max-age=31536000, immutable" : "no-cache",
  };
  if (req.headers.get("if-none-match") === a.etag) return new Response(null, { status: 304, headers });
  return new Response(req.method === "HEAD" ? null : a.body, { headers });
}
