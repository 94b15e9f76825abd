import type { ApiClient } from "../api-client.ts";
import { ApiError } from "../api-client.ts";
import { formatClock, formatTime, UUID } from "../format.ts";
import { useLive } from "../live.ts";
import { RequestTimeline } from "./request-timeline.tsx";
import { ErrorNotice, Loading } from "./states.tsx";
import { StatusBadge } from "./status-badge.tsx";

/** One request: what it asked for, where it is, and its timeline; live while it can still change. */
export function RequestPage(props: { api: ApiClient; id: string }) {
  const { api, id } = props;
  const valid = UUID.test(id);
  const live = useLive(
    valid ? async () => ({ view: await api.request(id), events: await api.events(id) }) : null,
    id,
    { everyMs: 5000 },
  );
  if (!valid) {
    return (
      <p class="error" role="alert">
        “{id}” is not a correlation id.
      </p>
    );
  }
  if (live.error instanceof ApiError && live.error.status === 404) {
    return (
      <section class="card">
        <h1>No such request</h1>
        <p>
          No request <code>{id}</code> is visible to this token. <a href="/">Back to all requests</a>
        </p>
      </section>
    );
  }
  const data = live.data;
  return (
    <section aria-labelledby="request-title">
      <p>
        <a href="/">← All requests</a>
      </p>
      <h1 id="request-title">
        Request <code>{id}</code>
      </h1>
      {live.error && <ErrorNotice error={live.error} what="the request" />}
      {!data && live.loading && <Loading what="the request" />}
      {data && (
        <>
          <div class="card">
            <dl class="facts">
              <dt>Status</dt>
              <dd>
                <StatusBadge value={data.view.status} />
              </dd>
              <dt>Revocation</dt>
              <dd>
                <StatusBadge value={data.view.revocation_status} kind="revocation" />
              </dd>
              <dt>Provider</dt>
              <dd>{data.view.cloud_provider}</dd>
              <dt>Action</dt>
              <dd>{data.view.action}</dd>
              <dt>Client</dt>
              <dd>{data.view.client}</dd>
              <dt>Received</dt>
              <dd>{formatTime(data.view.received_at)}</dd>
              <dt>Completed</dt>
              <dd>{formatTime(data.view.completed_at)}</dd>
              <dt>Expires</dt>
              <dd>{formatTime(data.view.expires_at)}</dd>
              <dt>Revoked</dt>
              <dd>{formatTime(data.view.revoked_at)}</dd>
            </dl>
            {data.view.error_details && (
              <p class="error-detail">
                <strong>Provider error:</strong> {String(data.view.error_details.code ?? "")}{" "}
                {String(data.view.error_details.message ?? "")}
              </p>
            )}
            <details>
              <summary>Request as submitted</summary>
              <pre>{JSON.stringify(data.view.request, null, 2)}</pre>
            </details>
          </div>
          <h2>Timeline</h2>
          <RequestTimeline view={data.view} events={data.events.events} />
          {live.at && (
            <p class="muted" aria-live="polite">
              Updated {formatClock(live.at)}
            </p>
          )}
        </>
      )}
    </section>
  );
}
