import { Webhook } from "standardwebhooks";

/**
 * A small webhook receiver for development (`bun run dev` starts it): verifies every POST with
 * the standardwebhooks verifier, as a legacy caller would, and shows what it received at GET /
 * (a page) and GET /received (JSON). Answers 204 to a verified delivery, 401 to anything else.
 */
export interface Received {
  received_at: string;
  path: string;
  webhook_id: string | null;
  verified: boolean;
  error: string | null;
  type: string | null;
  correlation_id: string | null;
  body: unknown;
}

const MAX_KEPT = 200;
const MAX_BODY = 256 * 1024;

export function createSink(secrets: readonly string[]): {
  fetch(req: Request): Promise<Response>;
  received: Received[];
} {
  const verifiers = secrets.map((s) => new Webhook(s));
  const received: Received[] = [];
  return {
    received,
    async fetch(req) {
      const url = new URL(req.url);
      if (req.method === "GET" && url.pathname === "/received") return Response.json(received);
      if (req.method === "GET" && url.pathname === "/") {
        return new Response(page(received), { headers: { "content-type": "text/html; charset=utf-8" } });
      }
      if (req.method !== "POST") return new Response("not found", { status: 404 });
      const text = (await req.text()).slice(0, MAX_BODY);
      const headers = Object.fromEntries(req.headers);
      let verified = false;
      let error: string | null = "no signing secret configured";
      for (const v of verifiers) {
        try {
          v.verify(text, headers);
          verified = true;
          error = null;
          break;
        } catch (err) {
          error = (err as Error).message;
        }
      }
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text
      }
      const b = (body ?? {}) as { type?: unknown; data?: { correlation_id?: unknown } };
      received.unshift({
        received_at: new Date().toISOString(),
        path: url.pathname,
        webhook_id: req.headers.get("webhook-id"),
        verified,
        error,
        type: typeof b.type === "string" ? b.type : null,
        correlation_id: typeof b.data?.correlation_id === "string" ? b.data.correlation_id : null,
        body,
      });
      received.length = Math.min(received.length, MAX_KEPT);
      return verified
        ? new Response(null, { status: 204 })
        : new Response("signature not verified", { status: 401 });
    },
  };
}

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

function page(received: readonly Received[]): string {
  const rows = received
    .map(
      (r) =>
        `<tr><td>${esc(r.received_at)}</td><td>${r.verified ? "✔ verified" : `✘ ${esc(r.error ?? "")}`}</td>` +
        `<td>${esc(r.type ?? "")}</td><td>${esc(r.correlation_id ?? "")}</td><td>${esc(r.webhook_id ?? "")}</td>` +
        `<td><details><summary>body</summary><pre>${esc(JSON.stringify(r.body, null, 2))}</pre></details></td></tr>`,
    )
    .join("\n");
  return `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="3">
<title>CSecBridge webhook sink</title>
<style>body{font:14px system-ui;margin:2em}td,th{padding:4px 8px;border-bottom:1px solid #ddd;vertical-align:top;text-align:left}pre{margin:0}</style>
<h1>Webhooks received (${received.length})</h1>
<p>Every POST is verified with the standardwebhooks verifier. JSON: <a href="/received">/received</a>. Refreshes every 3 s.</p>
<table><tr><th>received</th><th>signature</th><th>type</th><th>correlation id</th><th>webhook-id</th><th></th></tr>
${rows}</table>`;
}
