import { useState } from "preact/hooks";
import type { RequestList } from "../../lib/http/schemas/requests.ts";
import { filtersToQuery, type ListFilters } from "../../lib/requests/list-filters.ts";
import type { ApiClient } from "../api-client.ts";
import { formatClock, formatTime, shortId } from "../format.ts";
import { useLive } from "../live.ts";
import { navigate, prefetched, query } from "../state.ts";
import { Empty, ErrorNotice, Loading } from "./states.tsx";
import { StatusBadge } from "./status-badge.tsx";

const PAGE = 50;

/** Which page of which filters: the key of one table view. */
export const listKey = (f: ListFilters, cursor: string | null) => `${filtersToQuery(f)}#${cursor ?? ""}`;

/** The filtered requests, newest first, 50 a page; the first page refreshes itself. */
export function RequestTable(props: { api: ApiClient; filters: ListFilters }) {
  const cursor = query.value.get("cursor");
  const key = listKey(props.filters, cursor);
  const apiQuery = filtersToQuery(props.filters);
  apiQuery.set("limit", String(PAGE));
  if (cursor) apiQuery.set("cursor", cursor);
  const live = useLive<RequestList>(
    async () => {
      const pre = prefetched.value;
      if (pre?.key === key) {
        prefetched.value = null;
        return pre.page;
      }
      return await props.api.list(apiQuery);
    },
    key,
    // Older pages are history; only the newest page is watched.
    { everyMs: cursor ? null : 10_000 },
  );
  const [exporting, setExporting] = useState<string | null>(null);
  const here = new URLSearchParams(query.value);
  const pageUrl = (c: string | null) => {
    const p = new URLSearchParams(here);
    if (c) p.set("cursor", c);
    else p.delete("cursor");
    return `/?${p}`;
  };
  const download = async () => {
    setExporting("Preparing the export…");
    try {
      const blob = await props.api.exportFile(filtersToQuery(props.filters), "csv");
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = `csecbridge-requests-${new Date().toISOString().slice(0, 19)}.csv`;
      a.click();
      URL.revokeObjectURL(a.href);
      setExporting(null);
    } catch (err) {
      setExporting(`Export refused: ${(err as Error).message}`);
    }
  };
  const rows = live.data?.items ?? [];
  return (
    <section class="card" aria-labelledby="requests-title" aria-busy={live.loading}>
      <div class="row spread">
        <h2 id="requests-title">Requests</h2>
        <div class="row">
          {live.at && (
            <span class="muted" aria-live="polite">
              {cursor ? "Older page" : "Live"} · updated {formatClock(live.at)}
            </span>
          )}
          <button type="button" class="quiet" onClick={download}>
            Export CSV
          </button>
        </div>
      </div>
      {exporting && (
        <p class="muted" role="status">
          {exporting}
        </p>
      )}
      {live.error && <ErrorNotice error={live.error} what="requests" />}
      {!live.data && live.loading && <Loading what="requests" />}
      {live.data && rows.length === 0 && (
        <Empty>
          <p>No requests match these filters.</p>
          <p>
            <a href="/">Show all requests</a>
          </p>
        </Empty>
      )}
      {rows.length > 0 && (
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Requests, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Request</th>
                <th scope="col">Received</th>
                <th scope="col">Status</th>
                <th scope="col">Provider</th>
                <th scope="col">Action</th>
                <th scope="col">Principal</th>
                <th scope="col">Permission</th>
                <th scope="col">Client</th>
                <th scope="col">Ticket</th>
                <th scope="col">Revocation</th>
                <th scope="col">Expires</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.correlation_id}>
                  <td>
                    <a
                      href={`/requests/${r.correlation_id}`}
                      aria-label={`Request ${r.correlation_id}`}
                      onClick={(e) => {
                        e.preventDefault();
                        navigate(`/requests/${r.correlation_id}`);
                      }}
                    >
                      <code>{shortId(r.correlation_id)}</code>
                    </a>
                  </td>
                  <td>{formatTime(r.received_at)}</td>
                  <td>
                    <StatusBadge value={r.status} />
                    {r.error_details?.code && <span class="err-code"> {r.error_details.code}</span>}
                  </td>
                  <td>{r.cloud_provider}</td>
                  <td>{r.action}</td>
                  <td class="wrap">{r.principal}</td>
                  <td class="wrap">{r.permission}</td>
                  <td>{r.client}</td>
                  <td>{r.ticket ?? "—"}</td>
                  <td>
                    <StatusBadge value={r.revocation_status} kind="revocation" />
                  </td>
                  <td>{formatTime(r.expires_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="row pager" aria-label="Pages">
        {cursor && (
          <a
            href={pageUrl(null)}
            onClick={(e) => {
              e.preventDefault();
              navigate(pageUrl(null));
            }}
          >
            ← Newest
          </a>
        )}
        {live.data?.next_cursor && (
          <a
            href={pageUrl(live.data.next_cursor)}
            onClick={(e) => {
              e.preventDefault();
              navigate(pageUrl(live.data?.next_cursor ?? null));
            }}
          >
            Older →
          </a>
        )}
      </nav>
    </section>
  );
}
