import type { RequestRow } from "../db/requests.ts";
import type { Job } from "../queue/job.ts";
import { revocationJob } from "../queue/schedule.ts";

/**
 * The revocation job of a grant row. The worker, the early-revoke endpoint and the reconciler
 * all schedule it, and the sorted-set member is its text: built in one place, so all three
 * always name the same member and rescheduling moves it instead of adding a second.
 */
export function revocationJobForRow(row: RequestRow): Job {
  return revocationJob({
    correlation_id: row.correlation_id,
    provider: row.cloud_provider,
    request: row.request_payload,
    received_at: row.received_at.getTime(),
  });
}
