-- Access keys of AWS managed-policy requests keep the policy ARN as written (lib/providers/access-key.ts).
-- IAM resolves an ARN only as written: ".../readonlyaccess" is no policy at all, not ReadOnlyAccess
-- spelled differently. One key for both spellings handed an applied grant's revocation obligation to
-- a grant of the other spelling, whose revoke could not remove the access (left behind), and took
-- pre-existing access for ours (then removed it).

UPDATE requests
SET access_key = 'aws:' || lower((request_payload #>> '{principal,type}') || '/' || (request_payload #>> '{principal,name}'))
                 || ':policy:' || (request_payload #>> '{permission,policy_arn}')
WHERE cloud_provider = 'aws' AND request_payload #>> '{permission,type}' = 'managed_policy';

-- Obligations handed over that way may have left access behind: they open again, due now, and the
-- ordinary revocation removes the access (or finds it gone, or hands it to a real heir).
WITH handed AS (
  SELECT DISTINCT r.correlation_id
  FROM requests r
  JOIN request_events e ON e.correlation_id = r.correlation_id
   AND e.kind = 'REVOCATION' AND e.to_status = 'SKIPPED' AND e.detail ? 'kept_for'
  JOIN requests heir ON heir.correlation_id::text = e.detail ->> 'kept_for'
  WHERE r.revocation_status = 'SKIPPED' AND r.pre_existing = false AND heir.access_key <> r.access_key
), reopened AS (
  UPDATE requests SET revocation_status = 'SCHEDULED', revoke_at = least(revoke_at, now()), revoked_at = NULL,
         lease_job = NULL, lease_until = NULL, updated_at = now()
  WHERE correlation_id IN (SELECT correlation_id FROM handed)
  RETURNING correlation_id
)
INSERT INTO request_events (correlation_id, kind, from_status, to_status, detail)
SELECT correlation_id, 'OBLIGATION_REOPENED', 'SKIPPED', 'SCHEDULED',
       '{"reason": "handed to a grant of another policy ARN spelling, which could not remove it"}'::jsonb
FROM reopened;
