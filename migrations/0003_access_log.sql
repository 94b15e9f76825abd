-- Who looked at what (issue 8, docs/security.md): one append-only row per API call that reveals
-- requests to someone other than their owner (a single read by an operator or auditor, a list,
-- search or export page). Changes (submit, revoke, ...) are already request_events rows, each with
-- `detail.by`; request_audit below puts both side by side per request.
--
-- One row per call, not per request shown: a dashboard listing thousands of rows writes one row
-- per page view, carrying the filter it used.

CREATE TABLE access_log (
  id              bigserial PRIMARY KEY,
  at              timestamptz NOT NULL DEFAULT now(),
  client          text NOT NULL,
  role            text NOT NULL CHECK (role IN ('submitter', 'operator', 'auditor')),
  action          text NOT NULL CHECK (action IN ('read', 'list', 'search', 'events', 'stats', 'export')),
  -- The one request revealed (single reads, timelines); null for list-like calls.
  correlation_id  uuid,
  -- The filter of a list-like call, as the caller asked it; null for single reads.
  filter          jsonb,
  -- How many requests the call revealed (list-like calls), when known.
  result_count    integer
);

CREATE INDEX access_log_request_idx ON access_log (correlation_id, at) WHERE correlation_id IS NOT NULL;
CREATE INDEX access_log_client_idx ON access_log (client, at);

-- Append-only: an audit trail that can be edited in place proves nothing. Pruning old rows is an
-- operator's deliberate act (ALTER TABLE access_log DISABLE TRIGGER access_log_append_only).
CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'access_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
  FOR EACH ROW EXECUTE FUNCTION access_log_append_only();

-- "Who looked at or changed this request?": SELECT * FROM request_audit WHERE correlation_id = $1
-- ORDER BY at. Changes come from request_events (`by` is the client that asked; null for the
-- system's own steps: worker, scheduler, reconciler), reads from access_log.
CREATE VIEW request_audit AS
  SELECT correlation_id, at, detail ->> 'by' AS client, 'event' AS source, kind AS what
  FROM request_events
  UNION ALL
  SELECT correlation_id, at, client, 'access' AS source, action AS what
  FROM access_log
  WHERE correlation_id IS NOT NULL;
