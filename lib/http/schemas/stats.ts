// GET /api/v1/stats (docs/api.md): what the dashboard's charts draw. Shared with ui/api-client.ts.
import { z } from "zod";
import { PROVIDER_VALUES, STATUS_VALUES } from "../../requests/list-filters.ts";

/** Most buckets one stats call may ask for (a 30-day window in hours is 720). */
export const STATS_MAX_BUCKETS = 1000;
/** A SCHEDULED revocation this far past its revoke_at is late. */
export const LATE_AFTER_SECONDS = 5;
/** "Coming due" looks this far ahead, in buckets of DUE_SOON_BUCKET_SECONDS. */
export const DUE_SOON_SECONDS = 3600;
export const DUE_SOON_BUCKET_SECONDS = 300;
/** Upper bounds (ms) of the lateness histogram's buckets; the last bucket has no bound. */
export const LATENESS_BOUNDS_MS = [1000, 2000, 5000, 10_000, 30_000, 60_000, 300_000] as const;

const instant = z.iso.datetime({
  offset: true,
  message: "must be an RFC 3339 instant, e.g. 2026-11-30T00:00:00Z",
});

export const statsQuerySchema = z.object({
  /** Start of the window on received_at (default: `to` minus 24 hours). */
  from: instant.optional(),
  /** End of the window, exclusive (default: now, on the database clock). */
  to: instant.optional(),
  /** ISO 8601 duration of one bucket, e.g. PT5M, PT1H, P1D (default PT1H). */
  bucket: z.string().max(32).default("PT1H"),
});

export const queueStatsSchema = z.object({
  depth: z.number().int(),
  in_flight: z.number().int(),
  delayed: z.number().int(),
  dead: z.number().int(),
  workers: z.number().int(),
  processes: z.number().int(),
});

export const statsSchema = z.object({
  /** The database's clock when the figures were read. */
  now: z.string(),
  from: z.string(),
  to: z.string(),
  bucket: z.string(),
  bucket_seconds: z.number(),
  /** Start of each bucket (UTC, aligned to multiples of the bucket since 2000-01-03T00:00Z). */
  buckets: z.array(z.string()),
  /** Requests received per bucket, one series per provider × status (zeros included). */
  series: z.array(
    z.object({
      provider: z.enum(PROVIDER_VALUES),
      status: z.enum(STATUS_VALUES),
      counts: z.array(z.number().int()),
    }),
  ),
  /** Queue figures per provider, from Redis; null when Redis does not answer. */
  queues: z.record(z.enum(PROVIDER_VALUES), queueStatsSchema).nullable(),
  revocations: z.object({
    /** SCHEDULED with revoke_at in [now, now + 1 h). */
    due_next_hour: z.number().int(),
    /** The same hour in buckets of `bucket_seconds`, soonest first. */
    due_soon: z.object({ bucket_seconds: z.number(), counts: z.array(z.number().int()) }),
    /** SCHEDULED grants of ours (pre_existing = false): access we must still take away. */
    open_obligations: z.number().int(),
    /** SCHEDULED with revoke_at more than `late_after_seconds` ago. */
    late: z.number().int(),
    late_after_seconds: z.number(),
    oldest_late_revoke_at: z.string().nullable(),
    /** Revocations done in the window (revoked_at in [from, to)): revoked_at − revoke_at. */
    lateness: z.object({
      revoked: z.number().int(),
      p50_ms: z.number().nullable(),
      p99_ms: z.number().nullable(),
      max_ms: z.number().nullable(),
      /** `le_ms` is the bucket's upper bound (null: no bound). */
      histogram: z.array(z.object({ le_ms: z.number().nullable(), count: z.number().int() })),
    }),
  }),
});
export type Stats = z.infer<typeof statsSchema>;
