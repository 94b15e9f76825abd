import { statusCacheKey } from "../cache/status-cache.ts";
import type { RequestRow } from "../db/requests.ts";
import { canonicalJson } from "../json/canonical-json.ts";
import { REVOCATION_SCHEDULE_KEY } from "../queue/keys.ts";
import { execOrThrow } from "../redis/exec-pipeline.ts";
import { revocationJobForRow } from "../requests/revocation-job.ts";
import type { WorkerDeps } from "./worker-deps.ts";

/**
 * After a row changed: its cached status goes (cache-aside), and when its access must end at
 * `revokeAt` the revocation goes into `schedule:revocations` — one pipeline, one round trip. If
 * Redis fails here the reconciler puts the revocation back from PostgreSQL once it is overdue.
 */
export async function afterChange(
  deps: Pick<WorkerDeps, "redis">,
  row: RequestRow,
  revokeAt?: Date | null,
): Promise<void> {
  const p = deps.redis.pipeline().del(statusCacheKey(row.correlation_id));
  if (revokeAt) {
    p.zadd(REVOCATION_SCHEDULE_KEY, revokeAt.getTime(), canonicalJson(revocationJobForRow(row)));
  }
  await execOrThrow(p);
}
