import { lookup as dnsLookup } from "node:dns/promises";
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { isIP } from "node:net";
import { judgeAddress } from "./address-policy.ts";

/** Resolves a host name to every address it has (node:dns lookup with `all`); injectable for tests. */
export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const systemResolver: Resolver = async (hostname) => await dnsLookup(hostname, { all: true });

export interface SendOptions {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** At most this much of the answer is read; the connection is cut after it. */
  maxResponseBytes: number;
  allowPrivate: boolean;
  resolve?: Resolver;
  /** Extra CA certificates (PEM) for https endpoints; tests and private PKI. */
  ca?: string;
}

export type SendResult =
  /** The endpoint answered (any status; 2xx is success, everything else a failed attempt). */
  | { kind: "answered"; status: number; body: string }
  /** Nothing was sent: the address is refused (SSRF guard) or the URL is unusable. Permanent. */
  | { kind: "refused"; reason: string }
  /** Sent or tried, and no answer: DNS failure, connection refused or reset, timeout. Transient. */
  | { kind: "no_answer"; reason: string };

/**
 * POSTs one webhook, safely (docs/webhooks.md, "Safety"):
 *   - the host name is resolved once and **every** address is judged (address-policy.ts) before
 *     anything is sent; one refused address refuses the endpoint;
 *   - the connection goes to the address that was judged, never to a second lookup (the
 *     `lookup` hook of node:http/https returns it), so DNS rebinding cannot swap it; the Host
 *     header and TLS SNI/certificate check still use the host name;
 *   - redirects are never followed (node:http does not): a 3xx is a failed attempt;
 *   - one deadline covers connect, send and the answer; at most `maxResponseBytes` of the answer
 *     is read.
 * Connections are kept alive per (endpoint, judged address): a reused socket was opened to an
 * address that passed, and a new address (DNS changed) gets its own, judged, connections.
 */
export async function sendWebhook(opts: SendOptions): Promise<SendResult> {
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    return { kind: "refused", reason: "not a URL" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { kind: "refused", reason: `scheme ${url.protocol} is not allowed` };
  }
  // The WHATWG parser has already turned 2130706433 or 0x7f.1 into 127.0.0.1; IPv6 comes bracketed.
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  let addresses: { address: string; family: number }[];
  if (isIP(host) !== 0) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await withDeadline((opts.resolve ?? systemResolver)(host), opts.timeoutMs, "DNS lookup");
    } catch (err) {
      return { kind: "no_answer", reason: `cannot resolve ${host}: ${(err as Error).message}` };
    }
  }
  if (addresses.length === 0) return { kind: "no_answer", reason: `${host} has no address` };
  for (const a of addresses) {
    const verdict = judgeAddress(a.address, { allowPrivate: opts.allowPrivate });
    if (!verdict.allowed) return { kind: "refused", reason: `${host}: ${verdict.reason}` };
  }
  const pinned = addresses[0]!;
  return await post(url, host, pinned, opts);
}

const agents = new Map<string, HttpAgent>();
const MAX_AGENTS = 500;

function agentFor(url: URL, host: string, address: string): HttpAgent {
  const key = `${url.protocol}//${host}:${url.port}@${address}`;
  let agent = agents.get(key);
  if (!agent) {
    if (agents.size >= MAX_AGENTS) {
      for (const a of agents.values()) a.destroy();
      agents.clear();
    }
    const opts = { keepAlive: true, maxSockets: 64, maxFreeSockets: 16, timeout: 60_000 };
    agent = url.protocol === "https:" ? new HttpsAgent(opts) : new HttpAgent(opts);
    agents.set(key, agent);
  }
  return agent;
}

function post(
  url: URL,
  host: string,
  pinned: { address: string; family: number },
  opts: SendOptions,
): Promise<SendResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const body = Buffer.from(opts.body);
    const request = url.protocol === "https:" ? httpsRequest : httpRequest;
    const req = request(
      {
        method: "POST",
        host,
        port: url.port === "" ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        headers: { ...opts.headers, "content-length": String(body.byteLength) },
        // The checked address, whatever the resolver would say now (Bun asks with `all: true`).
        lookup: (_name: string, options: { all?: boolean }, cb: LookupCallback) => {
          if (options?.all) cb(null, [pinned]);
          else cb(null, pinned.address, pinned.family);
        },
        ...(url.protocol === "https:" ? { servername: isIP(host) ? undefined : host, ca: opts.ca } : {}),
        agent: agentFor(url, host, pinned.address),
      },
      (res) => readLimited(res, opts.maxResponseBytes).then(done),
    );
    const timer = setTimeout(() => {
      req.destroy();
      done({ kind: "no_answer", reason: `no answer within ${opts.timeoutMs} ms` });
    }, opts.timeoutMs);
    req.on("error", (err) => done({ kind: "no_answer", reason: err.message }));
    req.end(body);
  });
}

type LookupCallback = (
  err: Error | null,
  address: string | { address: string; family: number }[],
  family?: number,
) => void;

function readLimited(res: IncomingMessage, limit: number): Promise<SendResult> {
  return new Promise((resolve) => {
    const status = res.statusCode ?? 0;
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = () => resolve({ kind: "answered", status, body: Buffer.concat(chunks).toString("utf8") });
    res.on("data", (chunk: Buffer) => {
      if (size >= limit) return;
      const room = limit - size;
      chunks.push(chunk.byteLength > room ? chunk.subarray(0, room) : chunk);
      size += Math.min(chunk.byteLength, room);
      if (size >= limit) {
        // Enough: the status is what counts; stop reading and drop the connection.
        res.destroy();
        finish();
      }
    });
    res.on("end", finish);
    res.on("error", finish);
    res.on("close", finish);
  });
}

async function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} exceeded ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
