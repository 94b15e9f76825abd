/** Request headers the API needs; nothing else (no cookies, no Host) is passed on. */
const FORWARD_REQUEST = [
  "authorization",
  "content-type",
  "content-length",
  "accept",
  "idempotency-key",
  "x-request-id",
];
/** Hop-by-hop headers, and ones fetch has already acted on (it decodes gzip bodies). */
const DROP_RESPONSE = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-encoding",
  "content-length",
  "upgrade",
]);

export interface ProxyOptions {
  /** Base URL of the API, e.g. http://127.0.0.1:8080. */
  apiUrl: string;
  /** How long to wait for the API's response headers; the body (an export) may then take longer. */
  headersTimeoutMs: number;
}

/**
 * Passes one /api request to the API and streams its answer back (an export of millions of rows
 * included), headers filtered both ways. An API that cannot be reached, or does not start
 * answering in time, is a 502/504 problem, never a hang. A browser that goes away cancels the
 * upstream request.
 */
export async function proxyToApi(req: Request, opts: ProxyOptions): Promise<Response> {
  const url = new URL(req.url);
  const target = new URL(url.pathname + url.search, opts.apiUrl);
  const headers = new Headers();
  for (const name of FORWARD_REQUEST) {
    const v = req.headers.get(name);
    if (v !== null) headers.set(name, v);
  }
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), opts.headersTimeoutMs);
  let upstream: Response;
  try {
    upstream = await fetch(target, {
      method: req.method,
      headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : req.body,
      redirect: "manual",
      signal: AbortSignal.any([req.signal, timeout.signal]),
    });
  } catch {
    return gatewayProblem(timeout.signal.aborted ? 504 : 502);
  } finally {
    clearTimeout(timer);
  }
  const out = new Headers();
  upstream.headers.forEach((v, k) => {
    if (!DROP_RESPONSE.has(k)) out.set(k, v);
  });
  return new Response(upstream.body, {
    status: upstream.status,
    statusText: upstream.statusText,
    headers: out,
  });
}

function gatewayProblem(status: 502 | 504): Response {
  const code = status === 502 ? "bad_gateway" : "gateway_timeout";
  return Response.json(
    {
      type: `https://csecbridge.dev/problems/${code}`,
      title: status === 502 ? "Bad gateway" : "Gateway timeout",
      status,
      detail: status === 502 ? "the API cannot be reached" : "the API did not answer in time",
      code,
    },
    { status, headers: { "content-type": "application/problem+json" } },
  );
}
