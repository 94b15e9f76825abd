import type { Redis } from "ioredis";
import type { z } from "zod";
import { type Caller, visibilityFilter } from "../auth/authorize.ts";
import { parseIsoDuration } from "../config/env.ts";
import type { Sql } from "../db/connect.ts";
import { BUCKET_ORIGIN, countByBucket, revocationFigures, revocationLateness } from "../db/request-stats.ts";
import { ValidationError } from "../errors/http-errors.ts";
import { guarded } from "../http/dependency.ts";
import {
  DUE_SOON_BUCKET_SECONDS,
  DUE_SOON_SECONDS,
  LATE_AFTER_SECONDS,
  LATENESS_BOUNDS_MS,
  STATS_MAX_BUCKETS,
  type Stats,
  type statsQuerySchema,
} from "../http/schemas/stats.ts";
import type { Logger } from "../logging/logger.ts";
import { type QueueStats, queueStats } from "../queue/stats.ts";
import { PROVIDER_VALUES, STATUS_VALUES } from "./list-filters.ts";

export interface StatsDeps {
  sql: Sql;
  redis: Redis;
  log: Logger;
  dbTimeoutMs: number;
  redisTimeoutMs: number;
}

export type StatsQuery = z.infer<typeof statsQuerySchema>;

const DEFAULT_WINDOW_MS = 24 * 3600_000;
const ORIGIN_MS = Date.parse(BUCKET_ORIGIN);

export interface StatsWindow {
  from: number;
  to: number;
  bucketMs: number;
  /** Start of every bucket overlapping [from, to). */
  starts: number[];
}

/**
 * The window and its buckets, checked: a bucket of whole seconds, from before to, and at most
 * STATS_MAX_BUCKETS buckets (every problem at once, 422). `now` is the database's clock.
 */
export function statsWindow(q: StatsQuery, now: number): StatsWindow {
  const issues: { pointer: string; detail: string }[] = [];
  // Not a duration at all fails the same check as one under a second.
  const bucketMs = parseIsoDuration(q.bucket) ?? 0;
  if (bucketMs < 1000 || bucketMs % 1000 !== 0) {
    issues.push({
      pointer: "/bucket",
      detail: "must be an ISO 8601 duration of whole seconds, e.g. PT5M, PT1H, P1D",
    });
  }
  const to = q.to === undefined ? now : Date.parse(q.to);
  const from = q.from === undefined ? to - DEFAULT_WINDOW_MS : Date.parse(q.from);
  if (from >= to) issues.push({ pointer: "/from", detail: "must be before to" });
  if (issues.length === 0) {
    const first = ORIGIN_MS + Math.floor((from - ORIGIN_MS) / bucketMs) * bucketMs;
    const count = Math.ceil((to - first) / bucketMs);
    if (count > STATS_MAX_BUCKETS) {
      issues.push({
        pointer: "/bucket",
        detail: `the window holds ${count} buckets of ${q.bucket}; at most ${STATS_MAX_BUCKETS}: use a larger bucket or a shorter window`,
      });
    } else {
      return { from, to, bucketMs, starts: Array.from({ length: count }, (_, i) => first + i * bucketMs) };
    }
  }
  throw new ValidationError("invalid stats query", issues);
}

/**
 * GET /api/v1/stats: requests per bucket × provider × status, the queues (Redis), and the state
 * of revocations (database clock). Queue figures are null when Redis does not answer: the rest
 * comes from PostgreSQL and is still worth showing.
 */
export async function readStats(deps: StatsDeps, caller: Caller, q: StatsQuery): Promise<Stats> {
  const { sql } = deps;
  const visibleTo = visibilityFilter(caller);
  // SELECT now() answers exactly one row.
  const [clock] = await guarded(
    "postgres",
    deps.dbTimeoutMs,
    () => sql<[{ now: Date }]>`SELECT now() AS now`,
  );
  const now = clock.now.getTime();
  const w = statsWindow(q, now);
  const from = new Date(w.from).toISOString();
  const to = new Date(w.to).toISOString();
  const bucketSeconds = w.bucketMs / 1000;
  const [counts, figures, lateness, queues] = await Promise.all([
    guarded("postgres", deps.dbTimeoutMs, () => countByBucket(sql, { from, to, bucketSeconds, visibleTo })),
    guarded("postgres", deps.dbTimeoutMs, () =>
      revocationFigures(sql, {
        lateAfterSeconds: LATE_AFTER_SECONDS,
        dueSoonSeconds: DUE_SOON_SECONDS,
        dueBucketSeconds: DUE_SOON_BUCKET_SECONDS,
        visibleTo,
      }),
    ),
    guarded("postgres", deps.dbTimeoutMs, () =>
      revocationLateness(sql, { from, to, boundsMs: LATENESS_BOUNDS_MS, visibleTo }),
    ),
    readQueues(deps),
  ]);

  // countByBucket bins on the same origin and size as w.starts, over the same window: every
  // count has its cell, and a cell no row counts is 0.
  const cell = new Map(counts.map((c) => [`${c.cloud_provider}/${c.status}/${c.bucket.getTime()}`, c.n]));
  const series = PROVIDER_VALUES.flatMap((provider) =>
    STATUS_VALUES.map((status) => ({
      provider,
      status,
      counts: w.starts.map((s) => cell.get(`${provider}/${status}/${s}`) ?? 0),
    })),
  );
  // revocationFigures only counts revocations due in [now, now + DUE_SOON_SECONDS): k is an index.
  const dueSoon = Array.from({ length: DUE_SOON_SECONDS / DUE_SOON_BUCKET_SECONDS }, () => 0);
  for (const d of figures.due_soon) dueSoon[d.k] = d.n;
  const histogram = [...LATENESS_BOUNDS_MS, null].map((le, k) => ({
    le_ms: le,
    count: lateness.buckets.find((b) => b.k === k)?.n ?? 0,
  }));

  return {
    now: new Date(now).toISOString(),
    from,
    to,
    bucket: q.bucket,
    bucket_seconds: bucketSeconds,
    buckets: w.starts.map((s) => new Date(s).toISOString()),
    series,
    queues,
    revocations: {
      due_next_hour: figures.due_next_hour,
      due_soon: { bucket_seconds: DUE_SOON_BUCKET_SECONDS, counts: dueSoon },
      open_obligations: figures.open_obligations,
      late: figures.late,
      late_after_seconds: LATE_AFTER_SECONDS,
      oldest_late_revoke_at: figures.oldest_late_revoke_at?.toISOString() ?? null,
      lateness: {
        revoked: lateness.revoked,
        p50_ms: lateness.p50_ms,
        p99_ms: lateness.p99_ms,
        max_ms: lateness.max_ms,
        histogram,
      },
    },
  };
}

async function readQueues(
  deps: StatsDeps,
): Promise<Record<(typeof PROVIDER_VALUES)[number], QueueStats> | null> {
  try {
    const one = (p: (typeof PROVIDER_VALUES)[number]) =>
      guarded("redis", deps.redisTimeoutMs, () => queueStats(deps.redis, p));
    const [aws, azure] = await Promise.all([one("aws"), one("azure")]);
    return { aws, azure };
  } catch (err) {
    deps.log.warn({ err }, "queue stats unavailable (Redis); answering without them");
    return null;
  }
}
