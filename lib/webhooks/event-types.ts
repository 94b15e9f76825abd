/**
 * The webhook events a client may subscribe to (policy file `webhooks.events`), and which
 * request_events rows produce them (migrations/0006_webhooks.sql, webhook_event_type):
 *
 * | event               | when                                                                 |
 * | ------------------- | -------------------------------------------------------------------- |
 * | request.succeeded   | a grant or revoke request reached SUCCESS                            |
 * | request.failed      | it reached FAILED (error_details: the cloud's code and message)      |
 * | grant.revoked       | a grant's access ended: REVOKED, or SKIPPED (pre-existing / kept by a later grant) |
 * | grant.expiring      | a grant's end is within the client's `expiring_lead_time`            |
 * | grant.extended      | POST /api/v1/requests/{id}/extend moved a grant's end                |
 * | revocation.failed   | a revocation ended FAILED: access may still be in place              |
 * | drift.detected      | the drift sweep found our access back in the cloud, or missing       |
 */
export const WEBHOOK_EVENT_TYPES = [
  "request.succeeded",
  "request.failed",
  "grant.revoked",
  "grant.expiring",
  "grant.extended",
  "revocation.failed",
  "drift.detected",
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
