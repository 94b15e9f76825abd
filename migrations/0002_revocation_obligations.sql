-- Revocation obligations (docs/revocation.md): from just before a grant's first cloud write it
-- carries an obligation to revoke, tracked in revocation_status, that ends only when the access is
-- proven removed, proven pre-existing, or handed to a later overlapping grant of ours.

ALTER TABLE requests
  -- When the access must end: the requested expiry, or earlier (early revoke, a failed grant's
  -- compensating revoke). expires_at keeps what was asked for.
  ADD COLUMN revoke_at           timestamptz,
  -- Decided once, before the first cloud write, and never changed: did the access exist already?
  -- NULL while undecided. A grant with pre_existing = false is ours to revoke.
  ADD COLUMN pre_existing        boolean,
  -- The job chain allowed to act on the row now, and until when (a lease). A duplicate job of
  -- another chain does nothing while the lease is held; the reconciler re-queues only rows whose
  -- lease has lapsed, so it never adds a second chain next to one in flight.
  ADD COLUMN lease_job           text,
  ADD COLUMN lease_until         timestamptz,
  -- Times the reconciler queued a new job for this row; spaces its re-queues out exponentially.
  ADD COLUMN requeues            integer NOT NULL DEFAULT 0,
  -- Cloud attempts of the revocation (a revocation retries transient errors without end).
  ADD COLUMN revocation_attempts integer NOT NULL DEFAULT 0;

UPDATE requests SET revoke_at = expires_at;
UPDATE requests SET pre_existing = (provider_handle ->> 'pre_existing')::boolean
WHERE provider_handle ? 'pre_existing';

-- Grants of ours that ended FAILED or are still in flight may have reached the cloud with no
-- revocation behind them (the gap this migration closes): give them their obligation now, due at
-- once for the failed ones.
UPDATE requests
SET revocation_status = 'SCHEDULED',
    revoke_at = CASE WHEN status = 'FAILED' THEN least(coalesce(revoke_at, now()), now()) ELSE revoke_at END
WHERE action = 'grant' AND pre_existing = false AND revocation_status IS NULL
  AND status IN ('PROCESSING', 'FAILED');

DROP INDEX requests_access_key_idx;
DROP INDEX requests_revocation_due_idx;
-- Rows whose cloud decision is made: overlap checks, the Azure "ours" names, the drift sweep.
-- Partial, so the hot INSERT of a new request does not pay for it.
CREATE INDEX requests_decided_access_idx ON requests (access_key) WHERE pre_existing IS NOT NULL;
CREATE INDEX requests_revoke_due_idx ON requests (revoke_at) WHERE revocation_status = 'SCHEDULED';
CREATE INDEX requests_revoked_recent_idx ON requests (revoked_at) WHERE revocation_status = 'REVOKED';
CREATE INDEX requests_revocation_failed_idx ON requests (updated_at) WHERE revocation_status = 'FAILED';
CREATE INDEX requests_leased_idx ON requests (lease_until) WHERE lease_until IS NOT NULL;
