-- The system of record: one table for every provider (the seed's single requests table) plus
-- what operators need, and an append-only audit timeline.

CREATE TABLE requests (
  correlation_id     uuid PRIMARY KEY,
  status             text NOT NULL DEFAULT 'PENDING'
                     CHECK (status IN ('PENDING', 'PROCESSING', 'SUCCESS', 'FAILED')),
  cloud_provider     text NOT NULL CHECK (cloud_provider IN ('aws', 'azure')),
  action             text NOT NULL CHECK (action IN ('grant', 'revoke')),
  client             text NOT NULL,
  request_payload    jsonb NOT NULL,
  -- sha256 of the canonical payload: tells a retried POST from a different one under one key.
  request_hash       text NOT NULL,
  idempotency_key    text,
  -- Canonical "who gets what where" string; overlapping grants of one access share it.
  access_key         text NOT NULL,
  principal          text NOT NULL,
  ticket             text,
  requested_by       text,
  received_at        timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  completed_at       timestamptz,
  error_details      jsonb,
  attempts           integer NOT NULL DEFAULT 0,
  expires_at         timestamptz,
  revocation_status  text CHECK (revocation_status IN ('SCHEDULED', 'REVOKED', 'FAILED', 'SKIPPED')),
  revoked_at         timestamptz,
  revocation_error   jsonb,
  -- Provider-side handle, e.g. the Azure role-assignment name, and whether access pre-existed.
  provider_handle    jsonb
);

CREATE INDEX requests_status_idx ON requests (status);
CREATE UNIQUE INDEX requests_idempotency_idx ON requests (client, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
-- Keyset pagination, newest first, optionally by provider/status.
CREATE INDEX requests_received_idx ON requests (received_at DESC, correlation_id DESC);
CREATE INDEX requests_provider_status_received_idx
  ON requests (cloud_provider, status, received_at DESC);
CREATE INDEX requests_principal_idx ON requests (principal);
CREATE INDEX requests_ticket_idx ON requests (ticket) WHERE ticket IS NOT NULL;
CREATE INDEX requests_access_key_idx ON requests (access_key) WHERE status = 'SUCCESS';
CREATE INDEX requests_revocation_due_idx ON requests (expires_at)
  WHERE revocation_status = 'SCHEDULED';
CREATE INDEX requests_pending_idx ON requests (updated_at) WHERE status IN ('PENDING', 'PROCESSING');

CREATE TABLE request_events (
  id              bigserial PRIMARY KEY,
  correlation_id  uuid NOT NULL REFERENCES requests (correlation_id) ON DELETE CASCADE,
  at              timestamptz NOT NULL DEFAULT now(),
  kind            text NOT NULL,
  from_status     text,
  to_status       text,
  detail          jsonb
);

CREATE INDEX request_events_request_idx ON request_events (correlation_id, id);
