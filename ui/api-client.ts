// The one way the dashboard reaches the API: typed by the server's own zod schemas
// (lib/http/schemas), every answer parsed on the way in, every problem turned into an ApiError.
import type { z } from "zod";
import { requestEventsSchema, requestListSchema, requestViewSchema } from "../lib/http/schemas/requests.ts";
import { type SearchBody, searchResultSchema } from "../lib/http/schemas/search.ts";
import { statsSchema } from "../lib/http/schemas/stats.ts";

/** An answer that was not a success, with the problem's detail when it had one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export interface ApiClient {
  list(query: URLSearchParams): Promise<z.infer<typeof requestListSchema>>;
  search(body: SearchBody): Promise<z.infer<typeof searchResultSchema>>;
  stats(q: { from?: string; to?: string; bucket: string }): Promise<z.infer<typeof statsSchema>>;
  request(id: string): Promise<z.infer<typeof requestViewSchema>>;
  events(id: string): Promise<z.infer<typeof requestEventsSchema>>;
  /** The export as a file (auditors). */
  exportFile(query: URLSearchParams, format: "csv" | "ndjson"): Promise<Blob>;
}

export function createApiClient(token: string, fetchFn: typeof fetch = fetch): ApiClient {
  const headers = { authorization: `Bearer ${token}`, accept: "application/json" };

  async function send(path: string, init: RequestInit = {}): Promise<Response> {
    let res: Response;
    try {
      res = await fetchFn(path, { ...init, headers: { ...headers, ...(init.headers ?? {}) } });
    } catch {
      throw new ApiError(0, "the dashboard's server cannot be reached", null);
    }
    if (!res.ok) {
      const problem = (await res.json().catch(() => null)) as { detail?: string; code?: string } | null;
      throw new ApiError(
        res.status,
        problem?.detail ?? `${res.status} ${res.statusText}`,
        problem?.code ?? null,
      );
    }
    return res;
  }

  async function call<S extends z.ZodType>(schema: S, path: string, init?: RequestInit): Promise<z.infer<S>> {
    const res = await send(path, init);
    const parsed = schema.safeParse(await res.json());
    if (!parsed.success)
      throw new ApiError(res.status, "the API's answer has an unexpected shape", "bad_shape");
    return parsed.data;
  }

  return {
    list: (query) => call(requestListSchema, `/api/v1/requests?${query}`),
    search: (body) =>
      call(searchResultSchema, "/api/v1/search", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
    stats: (q) => {
      const p = new URLSearchParams({ bucket: q.bucket });
      if (q.from) p.set("from", q.from);
      if (q.to) p.set("to", q.to);
      return call(statsSchema, `/api/v1/stats?${p}`);
    },
    request: (id) => call(requestViewSchema, `/api/v1/requests/${encodeURIComponent(id)}`),
    events: (id) => call(requestEventsSchema, `/api/v1/requests/${encodeURIComponent(id)}/events`),
    exportFile: async (query, format) => {
      const p = new URLSearchParams(query);
      p.set("format", format);
      return await (await send(`/api/v1/requests/export?${p}`)).blob();
    },
  };
}
