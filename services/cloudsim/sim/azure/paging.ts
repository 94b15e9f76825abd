/**
 * ARM-style paging: a page of `value` plus an absolute https `nextLink` that repeats the original
 * query (api-version, $filter) and adds `$skiptoken`. The SDK follows nextLink verbatim, so a
 * nextLink without api-version or on another host would fail exactly as it would against Azure.
 */
export interface PageContext {
  url: URL;
  /** The collapsed request path (nextLink must not repeat a client's double slash). */
  path: string;
  baseUrl: string;
  pageSize: number;
}

export type PageResult = { ok: true; body: { value: unknown[]; nextLink?: string } } | { ok: false };

const SKIP_TOKEN = "$skiptoken";

function readSkipToken(url: URL): string | null {
  for (const [k, v] of url.searchParams) if (k.toLowerCase() === SKIP_TOKEN) return v;
  return null;
}

export function paginate<T>(items: readonly T[], render: (item: T) => unknown, ctx: PageContext): PageResult {
  const token = readSkipToken(ctx.url);
  let offset = 0;
  if (token !== null) {
    const n = Number(Buffer.from(token, "base64url").toString("utf8").replace(/^o:/, ""));
    if (!Number.isInteger(n) || n < 0) return { ok: false };
    offset = n;
  }
  const page = items.slice(offset, offset + ctx.pageSize);
  const next = offset + ctx.pageSize;
  const body: { value: unknown[]; nextLink?: string } = { value: page.map(render) };
  if (next < items.length) {
    const link = new URL(`${ctx.baseUrl}${ctx.path}`);
    for (const [k, v] of ctx.url.searchParams)
      if (k.toLowerCase() !== SKIP_TOKEN) link.searchParams.append(k, v);
    link.searchParams.set(SKIP_TOKEN, Buffer.from(`o:${next}`, "utf8").toString("base64url"));
    body.nextLink = link.toString();
  }
  return { ok: true, body };
}
