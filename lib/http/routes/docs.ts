import { Hono } from "hono";
import scalarBundle from "../../../node_modules/@scalar/api-reference/dist/browser/standalone.js" with {
  type: "file",
};
import { openApiDocument } from "../openapi/index.ts";

/** The API paths that need no token (app.ts lets them past authentication): they describe the API. */
export const PUBLIC_API_PATHS: ReadonlySet<string> = new Set([
  "/api/v1/openapi.json",
  "/api/v1/docs",
  "/api/v1/docs/scalar.js",
  "/api/v1/docs/init.js",
]);

/**
 * The page may run only this server's scripts and talk only to this server: the Scalar bundle
 * is embedded in the binary and served from here, fonts are the system's, nothing is fetched from
 * the internet. Scalar inserts its styles at run time, hence 'unsafe-inline' for styles only.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

// Relative URLs: the page works behind a path prefix too (…/api/v1/docs → …/api/v1/openapi.json).
const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>CSecBridge API reference</title>
  </head>
  <body>
    <noscript>The reference needs JavaScript; the document itself is <a href="openapi.json">openapi.json</a>.</noscript>
    <div id="app"></div>
    <script src="docs/scalar.js"></script>
    <script src="docs/init.js"></script>
  </body>
</html>
`;

// Offline and private: no web fonts, no telemetry, none of Scalar's hosted features (AI agent,
// MCP, its developer toolbar), which would only call out to the internet (and the CSP blocks).
const INIT = `Scalar.createApiReference("#app", {
  url: new URL("openapi.json", document.baseURI).href,
  withDefaultFonts: false,
  telemetry: false,
  showDeveloperTools: "never",
  agent: { disabled: true },
  mcp: { disabled: true },
});
`;

const common = { "x-content-type-options": "nosniff", "cache-control": "no-cache" };

/** GET /api/v1/openapi.json and the reference page (no token: see PUBLIC_API_PATHS). */
export function docsRoutes() {
  const app = new Hono();
  app.get("/openapi.json", (c) => c.json(openApiDocument(), 200, common));
  app.get("/docs", (c) =>
    c.html(PAGE, 200, { ...common, "content-security-policy": CSP, "referrer-policy": "no-referrer" }),
  );
  app.get("/docs/init.js", (c) =>
    c.body(INIT, 200, { ...common, "content-type": "text/javascript; charset=utf-8" }),
  );
  app.get(
    "/docs/scalar.js",
    () =>
      new Response(Bun.file(scalarBundle), {
        headers: {
          ...common,
          "content-type": "text/javascript; charset=utf-8",
          "cache-control": "public, max-age=3600",
        },
      }),
  );
  return app;
}
