-- Signed callbacks to the legacy callers (issue 11, docs/webhooks.md), grant extension and the
-- history of how a grant ended.
--
-- Guarantee 8: an outbox row is written in the same transaction as the status change it reports.
-- Every status change already appends a request_events row in the same statement as its UPDATE,
-- so a trigger on request_events writes the outbox row: in the same transaction by construction,
-- whoever made the change (worker, scheduler, API), with no change to their code.
-- webhook_iso() is also used by lib/db (ended_by, expiry notices).

-- ---------------------------------------------------------------- history of a grant's end

ALTER TABLE requests
  -- The expiry first asked for, kept when an extension moves expires_at; NULL while never extended.
  ADD COLUMN original_expires_at timestamptz,
  -- Who ended the grant before its expiry: {client, role, at, how} (an early revoke, a revoke
  -- request); NULL when it ran to its end or is still active.
  ADD COLUMN ended_by jsonb;

-- ---------------------------------------------------------------- outbox

-- What the trigger writes is as small as it can be (it runs inside the workers' transactions,
-- some under an access lock): the event's id and type. The dispatcher fills in the rest when it
-- fans the event out — the client, the request's callback_url and the body built from the event
-- row (immutable) and the request row — and from then on the body is frozen: every delivery and
-- retry of the event sends the same bytes. Measured: building the body in the trigger cost the
-- provider workers about a quarter of their database throughput (docs/benchmarks.md).
CREATE TABLE webhook_outbox (
  -- The request_events row this reports; one outbox row per event.
  event_id        bigint PRIMARY KEY,
  correlation_id  uuid NOT NULL REFERENCES requests (correlation_id) ON DELETE CASCADE,
  -- request.succeeded, request.failed, grant.revoked, grant.expiring, grant.extended,
  -- revocation.failed, drift.detected
  event_type      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  -- Set by the dispatcher, once:
  client          text,
  -- The request's callback_url, if it gave one: delivery goes to that configured endpoint only.
  callback_url    text,
  -- The Standard Webhooks body {type, timestamp, data}.
  payload         jsonb,
  dispatched_at   timestamptz
);

CREATE INDEX webhook_outbox_undispatched_idx ON webhook_outbox (event_id) WHERE dispatched_at IS NULL;

-- ---------------------------------------------------------------- deliveries

-- One row per (event, endpoint). Its id is the Standard Webhooks `webhook-id`: every attempt and
-- every redelivery of the same event to the same endpoint carries it, so receivers can dedupe.
CREATE TABLE webhook_deliveries (
  id               uuid PRIMARY KEY,
  event_id         bigint NOT NULL REFERENCES webhook_outbox (event_id) ON DELETE CASCADE,
  correlation_id   uuid NOT NULL REFERENCES requests (correlation_id) ON DELETE CASCADE,
  client           text NOT NULL,
  event_type       text NOT NULL,
  -- The configured endpoint (policy file). Signing secrets are never stored: only the policy
  -- file's env-variable names point at them.
  endpoint_url     text NOT NULL,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts         integer NOT NULL DEFAULT 0,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  -- Retries stop this long after it (the retry horizon); a redelivery starts a new horizon.
  horizon_from     timestamptz NOT NULL DEFAULT now(),
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_attempt_at  timestamptz,
  -- HTTP status of the last answer (NULL: no answer — refused, timed out, connection failed).
  last_status_code integer,
  last_error       text,
  delivered_at     timestamptz,
  -- As on requests: the job chain allowed to send now, and until when.
  lease_job        text,
  lease_until      timestamptz,
  UNIQUE (event_id, endpoint_url)
);

-- Few indexes: every attempt's outcome rewrites the row, and each index is one more write.
-- A request's deliveries (the dashboard's timeline), a client's newest first, and the pending
-- ones for the reconciler. An unfiltered list of every client's deliveries sorts.
CREATE INDEX webhook_deliveries_request_idx ON webhook_deliveries (correlation_id, created_at);
CREATE INDEX webhook_deliveries_client_idx ON webhook_deliveries (client, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (lease_until) WHERE status = 'pending';

-- ---------------------------------------------------------------- the trigger

CREATE FUNCTION webhook_iso(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- Which webhook event a request_events row is, or NULL.
CREATE FUNCTION webhook_event_type(kind text, to_status text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN kind = 'STATUS' AND to_status = 'SUCCESS' THEN 'request.succeeded'
    WHEN kind = 'STATUS' AND to_status = 'FAILED' THEN 'request.failed'
    -- SKIPPED ends the grant too (the access pre-existed, or a later grant of ours keeps it);
    -- data.revocation_status and data.detail.reason say which.
    WHEN kind = 'REVOCATION' AND to_status IN ('REVOKED', 'SKIPPED') THEN 'grant.revoked'
    WHEN kind = 'REVOCATION' AND to_status = 'FAILED' THEN 'revocation.failed'
    WHEN kind IN ('DRIFT_DETECTED', 'DRIFT_MISSING') THEN 'drift.detected'
    WHEN kind = 'EXTENDED' THEN 'grant.extended'
    WHEN kind = 'EXPIRY_NOTICE' THEN 'grant.expiring'
  END
$$;

CREATE FUNCTION request_events_to_webhook_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO webhook_outbox (event_id, correlation_id, event_type, created_at)
  VALUES (NEW.id, NEW.correlation_id, webhook_event_type(NEW.kind, NEW.to_status), NEW.at);
  RETURN NULL;
END
$$;

-- Only the kinds that are webhook events reach the function (the WHEN is evaluated inline).
CREATE TRIGGER request_events_webhook_outbox AFTER INSERT ON request_events
  FOR EACH ROW
  WHEN ((NEW.kind = 'STATUS' AND NEW.to_status IN ('SUCCESS', 'FAILED'))
        OR (NEW.kind = 'REVOCATION' AND NEW.to_status IN ('REVOKED', 'SKIPPED', 'FAILED'))
        OR NEW.kind IN ('DRIFT_DETECTED', 'DRIFT_MISSING', 'EXTENDED', 'EXPIRY_NOTICE'))
  EXECUTE FUNCTION request_events_to_webhook_outbox();
