import type { Redis } from "ioredis";
import type { Sql } from "../db/connect.ts";
import type { RequestRow } from "../db/requests.ts";
import { claimStaleRequests, scheduledGrants } from "../db/transitions.ts";
import { canonicalJson } from "../json/canonical-json.ts";
import type { Logger } from "../logging/logger.ts";
import { enqueue } from "../queue/enqueue.ts";
import { newJob } from "../queue/job.ts";
import { REVOCATION_SCHEDULE_KEY } from "../queue/keys.ts";
import { revocationJobForRow } from "../requests/revocation-job.ts";

export interface ReconcileDeps {
  sql: Sql;
  redis: Redis;
  log: Logger;
  now: () => number;
  /** How long a PENDING/PROCESSING row may sit unchanged before its job is queued again. */
  staleAfterMs: number;
  batch: number;
}

export interface ReconcileResult {
  requeued: number;
  rescheduled: number;
}

/**
 * PostgreSQL is the truth; Redis is rebuilt from it. Requests that stopped moving get a new job
 * (duplicates are harmless: every transition is conditional and cloud calls are idempotent), and
 * every active grant's revocation is made sure to be in `schedule:revocations` (ZADD NX: one
 * already there keeps its time). This is what makes guarantee 1 hold after Redis loses its data.
 */
export async function reconcile(deps: ReconcileDeps): Promise<ReconcileResult> {
  let requeued = 0;
  for (;;) {
    const stale = await claimStaleRequests(deps.sql, deps.staleAfterMs, deps.batch);
    for (const row of stale) {
      const kind = row.action === "revoke" ? "revoke" : "grant";
      await enqueue(
        deps.redis,
        newJob(
          {
            correlation_id: row.correlation_id,
            provider: row.cloud_provider,
            kind,
            request: row.request_payload,
          },
          deps.now(),
        ),
      );
      deps.log.info(
        { correlation_id: row.correlation_id, provider: row.cloud_provider, status: row.status },
        "re-queued a stale request",
      );
    }
    requeued += stale.length;
    if (stale.length < deps.batch) break;
  }

  let rescheduled = 0;
  let after = "00000000-0000-0000-0000-000000000000";
  for (;;) {
    const grants = await scheduledGrants(deps.sql, after, deps.batch);
    if (grants.length === 0) break;
    rescheduled += await ensureScheduled(deps, grants);
    after = grants[grants.length - 1]?.correlation_id ?? after;
    if (grants.length < deps.batch) break;
  }
  return { requeued, rescheduled };
}

async function ensureScheduled(deps: ReconcileDeps, grants: RequestRow[]): Promise<number> {
  const pipeline = deps.redis.pipeline();
  for (const g of grants) {
    const job = revocationJobForRow(g);
    pipeline.zadd(REVOCATION_SCHEDULE_KEY, "NX", g.expires_at?.getTime() ?? deps.now(), canonicalJson(job));
  }
  const replies = (await pipeline.exec()) ?? [];
  let added = 0;
  replies.forEach(([err, n], i) => {
    if (err) throw err;
    if (n === 1) {
      added += 1;
      deps.log.info(
        { correlation_id: grants[i]?.correlation_id },
        "put a missing revocation back in the schedule",
      );
    }
  });
  return added;
}
