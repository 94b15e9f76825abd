import type { Server } from "bun";

/** What a test receiver got: one entry per request, in arrival order. */
export interface Hit {
  at: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface Receiver {
  url: string;
  port: number;
  hits: Hit[];
  /** How the next requests are answered: a Response, or a promise (a slow or hanging endpoint). */
  respond: (hit: Hit, n: number) => Response | Promise<Response>;
  stop(): Promise<void>;
}

/**
 * A real webhook receiver: Bun.serve on an ephemeral port of `hostname` (127.0.0.1 by default,
 * "::1" for IPv6). Records every request before answering it, so "nothing was sent" is checkable.
 */
export function startReceiver(
  opts: { hostname?: string; path?: string; respond?: Receiver["respond"] } = {},
): Receiver {
  const hits: Hit[] = [];
  let server: Server<undefined> | undefined;
  const r: Receiver = {
    url: "",
    port: 0,
    hits,
    respond: opts.respond ?? (() => new Response(null, { status: 204 })),
    async stop() {
      server?.stop(true);
    },
  };
  server = Bun.serve({
    hostname: opts.hostname ?? "127.0.0.1",
    port: 0,
    idleTimeout: 30,
    async fetch(req) {
      const hit: Hit = {
        at: Date.now(),
        method: req.method,
        path: new URL(req.url).pathname,
        headers: Object.fromEntries(req.headers),
        body: await req.text(),
      };
      hits.push(hit);
      return await r.respond(hit, hits.length);
    },
  });
  r.port = server.port ?? 0;
  const host = (opts.hostname ?? "127.0.0.1").includes(":")
    ? `[${opts.hostname}]`
    : (opts.hostname ?? "127.0.0.1");
  r.url = `http://${host}:${r.port}${opts.path ?? "/hooks"}`;
  return r;
}

/** A fresh Standard Webhooks secret. */
export function newSecret(): string {
  return `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("base64")}`;
}
