import type { Redis } from "ioredis";
import { canonicalJson } from "../json/canonical-json.ts";
import { JOB_VERSION, type Job } from "./job.ts";

/**
 * Puts a job in a schedule (a sorted set: member = job, score = due ms), or moves it if it is
 * already there: ZADD updates the score of an existing member. The member is the job's canonical
 * JSON, so the same logical job must be built from the same fields each time — for a revocation
 * use `revocationJob`, whose every field is a function of the grant.
 */
export async function scheduleAt(redis: Redis, zsetKey: string, job: Job, whenMs: number): Promise<void> {
  await redis.zadd(zsetKey, whenMs, canonicalJson(job));
}

/** Takes a job out of a schedule; true when it was there (it had not been promoted yet). */
export async function unschedule(redis: Redis, zsetKey: string, job: Job): Promise<boolean> {
  return (await redis.zrem(zsetKey, canonicalJson(job))) > 0;
}

export interface GrantForRevocation {
  correlation_id: string;
  provider: Job["provider"];
  /** The request payload of the grant (from the API or from the row's jsonb: key order does not matter). */
  request: unknown;
  /** A time fixed for the life of the grant: the row's received_at, ms. */
  received_at: number;
}

/**
 * The revocation job of a grant, identical every time it is built for the same grant — by the API
 * at grant time, by the worker after granting, by the reconciler from PostgreSQL — so scheduling
 * it again (a new expiry, an early revoke at "now") moves one member instead of adding a second.
 * Its id is derived from the correlation id, its attempt is 0, and its enqueued_at is the
 * grant's received_at (never "now", which would differ between callers).
 */
export function revocationJob(grant: GrantForRevocation): Job {
  return {
    v: JOB_VERSION,
    id: `revoke-${grant.correlation_id}`,
    correlation_id: grant.correlation_id,
    provider: grant.provider,
    kind: "revoke",
    attempt: 0,
    enqueued_at: grant.received_at,
    request: grant.request,
  };
}
