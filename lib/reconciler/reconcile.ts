import type { Redis } from "ioredis";
import type { Sql } from "../db/connect.ts";
import { claimOverdueRevocations, claimUnfinished, releaseScheduledRevocations } from "../db/reconcile.ts";
import type { RequestRow } from "../db/requests.ts";
import { canonicalJson } from "../json/canonical-json.ts";
import type { Logger } from "../logging/logger.ts";
import type { ReconcilerMetrics } from "../metrics/scheduler-metrics.ts";
import { JOB_VERSION, type Job } from "../queue/job.ts";
import { queueKeys, REVOCATION_SCHEDULE_KEY } from "../queue/keys.ts";
import { execOrThrow } from "../redis/exec-pipeline.ts";
import { revocationJobForRow } from "../requests/revocation-job.ts";

export interface ReconcileDeps {
  sql: Sql;
  redis: Redis;
  log: Logger;
  /** A PENDING/PROCESSING row with no live lease, unchanged this long (× 2^requeues), is queued again. */
  staleAfterMs: number;
  /** A revocation due this long ago with no chain holding it is queued again. */
  overdueAfterMs: number;
  /** How long a job the reconciler queued holds the row before another may be queued for it. */
  queueLeaseMs: number;
  batch: number;
  /** What each pass found, for /metrics; optional. */
  metrics?: ReconcilerMetrics;
}

export interface ReconcileResult {
  requeued: number;
  revocations: number;
}

/** A job for a claimed row, under the id its lease was given to. */
function jobFor(row: RequestRow, kind: Job["kind"]): Job {
  return {
    v: JOB_VERSION,
    id: row.lease_job ?? `r-${row.correlation_id}`,
    correlation_id: row.correlation_id,
    provider: row.cloud_provider,
    kind,
    attempt: 0,
    enqueued_at: Date.now(),
    request: row.request_payload,
  };
}

async function push(redis: Redis, jobs: readonly Job[]): Promise<void> {
  if (jobs.length === 0) return;
  const p = redis.pipeline();
  for (const job of jobs) p.lpush(queueKeys(job.provider).queue, JSON.stringify(job));
  await execOrThrow(p);
}

/**
 * PostgreSQL is the truth; Redis is rebuilt from it (guarantee 1). Every pass is cheap (indexed,
 * bounded batches) so it can run every few seconds:
 *   - requests whose job was lost (no live lease, stale) get a new job;
 *   - revocations overdue with no chain holding them get a new job, straight into the queue.
 * A job already in flight holds its row's lease and is never doubled. Duplicates that still
 * happen (a job stuck behind a long queue) do nothing: the lease names one chain.
 */
export async function reconcile(deps: ReconcileDeps): Promise<ReconcileResult> {
  let requeued = 0;
  for (;;) {
    const rows = await claimUnfinished(deps.sql, {
      staleMs: deps.staleAfterMs,
      queueLeaseMs: deps.queueLeaseMs,
      limit: deps.batch,
      all: false,
    });
    await push(
      deps.redis,
      rows.map((r) => jobFor(r, r.action)),
    );
    for (const r of rows) {
      deps.log.info(
        { correlation_id: r.correlation_id, provider: r.cloud_provider, status: r.status },
        "re-queued a stale request",
      );
    }
    requeued += rows.length;
    if (rows.length < deps.batch) break;
  }
  let revocations = 0;
  for (;;) {
    const rows = await claimOverdueRevocations(deps.sql, {
      overdueMs: deps.overdueAfterMs,
      queueLeaseMs: deps.queueLeaseMs,
      limit: deps.batch,
    });
    await push(
      deps.redis,
      rows.map((r) => jobFor(r, "revoke")),
    );
    for (const r of rows) {
      deps.log.warn(
        { correlation_id: r.correlation_id, provider: r.cloud_provider },
        "re-queued an overdue revocation",
      );
    }
    revocations += rows.length;
    if (rows.length < deps.batch) break;
  }
  return { requeued, revocations };
}

/**
 * After Redis lost its data (its epoch changed): every unfinished request gets a new job at once,
 * whatever its lease (the chain that held it lived in the lost data), and every pending
 * revocation goes back into `schedule:revocations` at its time.
 */
export async function rebuildAll(deps: ReconcileDeps): Promise<ReconcileResult> {
  let requeued = 0;
  let after = "00000000-0000-0000-0000-000000000000";
  for (;;) {
    const rows = await claimUnfinished(deps.sql, {
      staleMs: 0,
      queueLeaseMs: deps.queueLeaseMs,
      limit: deps.batch,
      all: true,
      afterId: after,
    });
    if (rows.length === 0) break;
    await push(
      deps.redis,
      rows.map((r) => jobFor(r, r.action)),
    );
    requeued += rows.length;
    after = maxId(rows);
  }
  let revocations = 0;
  after = "00000000-0000-0000-0000-000000000000";
  for (;;) {
    const rows = await releaseScheduledRevocations(deps.sql, after, deps.batch);
    if (rows.length === 0) break;
    const p = deps.redis.pipeline();
    for (const r of rows) {
      p.zadd(REVOCATION_SCHEDULE_KEY, r.revoke_at?.getTime() ?? 0, canonicalJson(revocationJobForRow(r)));
    }
    await execOrThrow(p);
    revocations += rows.length;
    after = maxId(rows);
  }
  deps.log.warn({ requeued, revocations }, "Redis lost its data: queues and the revocation schedule rebuilt");
  return { requeued, revocations };
}

/** The last correlation id of a batch in id order: where the next batch starts. */
const maxId = (rows: readonly RequestRow[]) =>
  rows
    .map((r) => r.correlation_id)
    .sort()
    .at(-1) ?? "";
