-- The read side of the API (issue 9, docs/api.md): GET /api/v1/requests, search, export and stats
-- filter on every column below and page newest first on (received_at DESC, correlation_id DESC).
-- Each index lets one filter walk the rows in page order (no sort of a large match), so a page
-- costs about `limit` index entries whatever the table size; the benchmark (docs/benchmarks.md)
-- runs every filter at 1,000,000 rows.
--
-- Built in the migration's transaction (no CONCURRENTLY): on a large existing table, run this
-- migration in a quiet window; writes to requests wait while the indexes build.

-- Free text (`text` filter): each phrase is an ILIKE '%…%' on ticket, principal and the payload's
-- justification, joined by a newline that no filter value can contain (control characters are
-- refused), so a phrase never matches across two fields. lib/db/list-requests.ts writes the same
-- expression; the planner matches it to this index.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX requests_search_text_trgm_idx ON requests USING gin (
  (coalesce(ticket, '') || E'\n' || principal || E'\n' || coalesce(request_payload ->> 'justification', ''))
  gin_trgm_ops
);

-- One filter column, then the page order. status replaces the single-column status index (its
-- prefix), which nothing needs any more.
CREATE INDEX requests_status_page_idx ON requests (status, received_at DESC, correlation_id DESC);
DROP INDEX requests_status_idx;
CREATE INDEX requests_provider_page_idx ON requests (cloud_provider, received_at DESC, correlation_id DESC);
CREATE INDEX requests_action_page_idx ON requests (action, received_at DESC, correlation_id DESC);
CREATE INDEX requests_client_page_idx ON requests (client, received_at DESC, correlation_id DESC);
CREATE INDEX requests_revocation_page_idx ON requests (revocation_status, received_at DESC, correlation_id DESC)
  WHERE revocation_status IS NOT NULL;
-- The principal and ticket indexes of 0001 become page-ordered too.
CREATE INDEX requests_principal_page_idx ON requests (principal, received_at DESC, correlation_id DESC);
DROP INDEX requests_principal_idx;
CREATE INDEX requests_ticket_page_idx ON requests (ticket, received_at DESC, correlation_id DESC)
  WHERE ticket IS NOT NULL;
DROP INDEX requests_ticket_idx;
-- expires_from / expires_to ("expiring grants").
CREATE INDEX requests_expires_idx ON requests (expires_at) WHERE expires_at IS NOT NULL;

-- Stats: counts per provider × status over a window of received_at, read from the index alone.
CREATE INDEX requests_received_counts_idx ON requests (received_at) INCLUDE (cloud_provider, status);
