import { basename } from "node:path";
import type { HTMLBundle } from "bun";

/** One file of the built dashboard, served at `path` with our headers. */
export interface UiAsset {
  /** URL path: `/` for the page, `/chunk-<hash>.js` for the rest. */
  path: string;
  body: Blob;
  contentType: string;
  etag: string;
  /** A content-hashed file (cacheable for ever) rather than the page itself. */
  immutable: boolean;
}

export interface UiAssets {
  index: UiAsset;
  byPath: ReadonlyMap<string, UiAsset>;
}

/**
 * The dashboard's files from the HTML import of ui/index.html. In a binary made with
 * `bun build --compile services/ui/main.ts`, Bun has bundled the page, its scripts and its CSS at
 * compile time and embedded them: `bundle.files` lists them. Run from source (`bun
 * services/ui/main.ts`, tests, `bun run dev`) there is no such list, so the same bundler builds
 * them here, in memory, once at start. Either way every file is served by our handler with our
 * headers (CSP and the rest), not by Bun's static routes.
 */
export async function loadUiAssets(bundle: HTMLBundle): Promise<UiAssets> {
  const assets: UiAsset[] = [];
  if (bundle.files) {
    for (const f of bundle.files) {
      const isPage = f.loader === "html";
      assets.push({
        path: isPage ? "/" : `/${basename(f.path)}`,
        body: Bun.file(f.path),
        contentType: f.headers["content-type"],
        etag: `"${f.headers.etag}"`,
        immutable: !isPage,
      });
    }
  } else {
    const built = await Bun.build({ entrypoints: [bundle.index], minify: true, target: "browser" });
    if (!built.success) throw new AggregateError(built.logs, "building the dashboard failed");
    for (const out of built.outputs) {
      const isPage = out.path.endsWith(".html");
      const body = new Blob([await out.arrayBuffer()], { type: out.type });
      assets.push({
        path: isPage ? "/" : `/${basename(out.path)}`,
        body,
        contentType: out.type,
        etag: `"${out.hash ?? Bun.hash(await body.arrayBuffer()).toString(36)}"`,
        immutable: !isPage,
      });
    }
  }
  const index = assets.find((a) => a.path === "/");
  if (!index) throw new Error("the dashboard bundle has no HTML page");
  return { index, byPath: new Map(assets.map((a) => [a.path, a])) };
}
