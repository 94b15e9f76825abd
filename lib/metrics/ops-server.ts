import type { Logger } from "../logging/logger.ts";
import type { Registry } from "./registry.ts";

export interface OpsServerOptions {
  hostname: string;
  /** 0 picks a free port (tests, side-by-side dev stacks). */
  port: number;
  registry: Registry;
  /** Extra facts for /healthz (never decides liveness: a datastore outage must not restart us). */
  details?: () => Promise<Record<string, unknown>>;
}

export interface OpsServer {
  port: number;
  stop(): Promise<void>;
}

/**
 * The small HTTP port of processes that serve no API (workers, scheduler): `GET /metrics`
 * (Prometheus text) and `GET /healthz` (200 while the process runs: the Kubernetes liveness
 * probe). Nothing else; no authentication (a NetworkPolicy admits only the monitoring namespace).
 */
export function startOpsServer(opts: OpsServerOptions): OpsServer {
  const server = Bun.serve({
    hostname: opts.hostname,
    port: opts.port,
    async fetch(req) {
      const { pathname } = new URL(req.url);
      if (req.method !== "GET" && req.method !== "HEAD") {
        return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
      }
      if (pathname === "/metrics") {
        return new Response(await opts.registry.metrics(), {
          headers: { "content-type": opts.registry.contentType, "cache-control": "no-store" },
        });
      }
      if (pathname === "/healthz") {
        const details = opts.details ? await opts.details().catch(() => ({})) : {};
        return Response.json({ status: "ok", ...details }, { headers: { "cache-control": "no-store" } });
      }
      return new Response("not found\n", { status: 404 });
    },
  });
  return {
    port: server.port ?? opts.port,
    async stop() {
      await server.stop(false);
    },
  };
}

/**
 * startOpsServer, but a port that cannot be bound (taken) is logged as an error and the process
 * goes on without it: metrics are not worth stopping revocations for. In a pod the port is the
 * process's own, so this happens on shared machines only (several stacks, tests).
 */
export function startOpsServerOrWarn(opts: OpsServerOptions, log: Logger): OpsServer | null {
  try {
    return startOpsServer(opts);
  } catch (err) {
    log.error({ err, port: opts.port }, "metrics port not available: /metrics and /healthz are not served");
    return null;
  }
}
