import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { captureLog } from "../../tests/fixtures/queue-support.ts";
import { createTestDatabase, errorWithPostgresDown, type TestDatabase } from "../../tests/helpers/db.ts";
import { createTestRedis, type TestRedis } from "../../tests/helpers/redis.ts";
import { seedRequests } from "../../tests/helpers/seed-requests.ts";
import type { Caller } from "../auth/authorize.ts";
import { DependencyUnavailableError, ValidationError } from "../errors/http-errors.ts";
import { queueKeys } from "../queue/keys.ts";
import { createRedis, type Redis } from "../redis/connect.ts";
import { readStats, type StatsDeps, type StatsQuery, statsWindow } from "./stats.ts";

const H = 3600_000;
const T0 = Date.parse("2026-12-01T00:00:00.000Z");
const issuesOf = (q: StatsQuery, now = T0) => {
  try {
    statsWindow(q, now);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toBe("invalid stats query");
    return (err as ValidationError).issues;
  }
  throw new Error("expected a ValidationError");
};
const BUCKET_DETAIL = "must be an ISO 8601 duration of whole seconds, e.g. PT5M, PT1H, P1D";

describe("statsWindow", () => {
  test("by default the 24 hours up to now, in buckets aligned to the origin", () => {
    const w = statsWindow({ bucket: "PT1H" }, T0 + 30 * 60_000);
    expect(w.to).toBe(T0 + 30 * 60_000);
    expect(w.from).toBe(T0 + 30 * 60_000 - 24 * H);
    expect(w.bucketMs).toBe(H);
    expect(w.starts.length).toBe(25);
    expect(w.starts[0]).toBe(T0 - 24 * H);
    expect(w.starts[1]).toBe(T0 - 23 * H);
    expect(w.starts.at(-1)).toBe(T0);
  });

  test("an explicit window: every bucket overlapping [from, to)", () => {
    const w = statsWindow(
      { bucket: "PT1H", from: "2026-12-01T00:30:00.000Z", to: "2026-12-01T02:00:00.000Z" },
      T0 + 99 * H,
    );
    expect(w).toEqual({ from: T0 + H / 2, to: T0 + 2 * H, bucketMs: H, starts: [T0, T0 + H] });
    const justTo = statsWindow({ bucket: "PT1H", to: "2026-12-01T00:00:00.000Z" }, T0 + 99 * H);
    expect([justTo.from, justTo.to]).toEqual([T0 - 24 * H, T0]);
  });

  test("a bucket must be whole seconds, one second at least", () => {
    expect(statsWindow({ bucket: "PT1S", from: "2026-12-01T00:00:00.000Z" }, T0 + 10_000).starts.length).toBe(
      10,
    );
    for (const bucket of ["5 minutes", "PT0S", "PT0.5S", "PT1.5S"]) {
      expect(issuesOf({ bucket })).toEqual([{ pointer: "/bucket", detail: BUCKET_DETAIL }]);
    }
  });

  test("from must be before to; every problem is reported at once", () => {
    const at = "2026-12-01T00:00:00.000Z";
    expect(issuesOf({ bucket: "PT1H", from: at, to: at })).toEqual([
      { pointer: "/from", detail: "must be before to" },
    ]);
    expect(issuesOf({ bucket: "nope", from: at, to: at })).toEqual([
      { pointer: "/bucket", detail: BUCKET_DETAIL },
      { pointer: "/from", detail: "must be before to" },
    ]);
  });

  test("at most STATS_MAX_BUCKETS (1000) buckets", () => {
    const from = "2026-12-01T00:00:00.000Z";
    expect(
      statsWindow({ bucket: "PT1M", from, to: new Date(T0 + 1000 * 60_000).toISOString() }, 0).starts.length,
    ).toBe(1000);
    expect(issuesOf({ bucket: "PT1M", from, to: new Date(T0 + 1001 * 60_000).toISOString() })).toEqual([
      {
        pointer: "/bucket",
        detail:
          "the window holds 1001 buckets of PT1M; at most 1000: use a larger bucket or a shorter window",
      },
    ]);
  });
});

// readStats against a real PostgreSQL and Redis.
let db: TestDatabase;
let r: TestRedis;
let downRedis: Redis;
const captured = captureLog("info");
const log = captured.log;
const operator: Caller = { name: "ops", role: "operator" };
const deps = (over: Partial<StatsDeps> = {}): StatsDeps => ({
  sql: db.sql,
  redis: r.redis,
  log,
  dbTimeoutMs: 2000,
  redisTimeoutMs: 1000,
  ...over,
});
const W = { from: "2026-12-01T00:00:00.000Z", to: "2026-12-01T03:00:00.000Z", bucket: "PT1H" };

beforeAll(async () => {
  db = await createTestDatabase();
  r = await createTestRedis();
  downRedis = createRedis(r.url);
  downRedis.disconnect();
  await seedRequests(db.sql, [
    { receivedAt: "2026-12-01T00:10:00.000Z", status: "SUCCESS" },
    { receivedAt: "2026-12-01T00:20:00.000Z", status: "SUCCESS" },
    { receivedAt: "2026-12-01T02:59:00.000Z", status: "FAILED", provider: "azure" },
    { receivedAt: "2026-12-01T01:30:00.000Z", status: "PENDING", client: "other" },
    { receivedAt: "2026-12-01T03:00:00.000Z", status: "SUCCESS" }, // outside [from, to)
    // Revocations done in the window, 0.5 s and 3 s late.
    {
      receivedAt: "2026-11-30T00:00:00.000Z",
      revocationStatus: "REVOKED",
      revokeAt: "2026-12-01T01:00:00.000Z",
      revokedAt: "2026-12-01T01:00:00.500Z",
      expiresAt: "2026-12-01T01:00:00.000Z",
    },
    {
      receivedAt: "2026-11-30T00:00:00.000Z",
      revocationStatus: "REVOKED",
      revokeAt: "2026-12-01T01:00:00.000Z",
      revokedAt: "2026-12-01T01:00:03.000Z",
      expiresAt: "2026-12-01T01:00:00.000Z",
    },
    // Open revocations: one late, one due within 5 minutes, one in 22 minutes (on now()).
    { receivedAt: "2026-11-30T00:00:00.000Z", revocationStatus: "SCHEDULED", expiresAt: -60_000 },
    { receivedAt: "2026-11-30T00:00:00.000Z", revocationStatus: "SCHEDULED", expiresAt: 60_000 },
    { receivedAt: "2026-11-30T00:00:00.000Z", revocationStatus: "SCHEDULED", expiresAt: 22 * 60_000 },
  ]);
  await r.redis.lpush(queueKeys("azure").queue, "job-1", "job-2");
});
afterAll(async () => {
  await r.cleanup();
  await db.drop();
});

describe("readStats", () => {
  test("counts per bucket × provider × status, every cell present, on the database clock", async () => {
    const before = Date.now();
    const s = await readStats(deps(), operator, W);
    const [dbNow] = await db.sql<[{ now: Date }]>`SELECT now() AS now`;
    expect(Date.parse(s.now)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(s.now)).toBeLessThanOrEqual(dbNow.now.getTime());
    expect(s).toMatchObject({ from: W.from, to: W.to, bucket: "PT1H", bucket_seconds: 3600 });
    expect(s.buckets).toEqual([
      "2026-12-01T00:00:00.000Z",
      "2026-12-01T01:00:00.000Z",
      "2026-12-01T02:00:00.000Z",
    ]);
    expect(s.series.length).toBe(8);
    const cell = (provider: string, status: string) =>
      s.series.find((x) => x.provider === provider && x.status === status)?.counts;
    expect(cell("aws", "SUCCESS")).toEqual([2, 0, 0]);
    expect(cell("azure", "FAILED")).toEqual([0, 0, 1]);
    expect(cell("aws", "PENDING")).toEqual([0, 1, 0]);
    expect(cell("azure", "SUCCESS")).toEqual([0, 0, 0]);
  });

  test("revocations: due soon by 5-minute bucket, late, and how late the done ones were", async () => {
    const s = await readStats(deps(), operator, W);
    const rv = s.revocations;
    expect(rv.due_next_hour).toBe(2);
    expect(rv.due_soon).toEqual({ bucket_seconds: 300, counts: [1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0] });
    expect(rv.late).toBe(1);
    expect(rv.late_after_seconds).toBe(5);
    expect(rv.open_obligations).toBe(3);
    expect(typeof rv.oldest_late_revoke_at).toBe("string");
    expect(Date.now() - Date.parse(rv.oldest_late_revoke_at ?? "")).toBeGreaterThan(5000);
    expect(rv.lateness.revoked).toBe(2);
    expect(rv.lateness.max_ms).toBe(3000);
    expect(rv.lateness.p50_ms).toBe(1750);
    expect(rv.lateness.histogram).toEqual([
      { le_ms: 1000, count: 1 },
      { le_ms: 2000, count: 0 },
      { le_ms: 5000, count: 1 },
      { le_ms: 10_000, count: 0 },
      { le_ms: 30_000, count: 0 },
      { le_ms: 60_000, count: 0 },
      { le_ms: 300_000, count: 0 },
      { le_ms: null, count: 0 },
    ]);
  });

  test("a submitter's figures are its own requests' only; no late revocation is null", async () => {
    const s = await readStats(deps(), { name: "other", role: "submitter" }, W);
    expect(s.series.find((x) => x.provider === "aws" && x.status === "PENDING")?.counts).toEqual([0, 1, 0]);
    expect(s.series.find((x) => x.provider === "aws" && x.status === "SUCCESS")?.counts).toEqual([0, 0, 0]);
    expect(s.revocations.late).toBe(0);
    expect(s.revocations.oldest_late_revoke_at).toBeNull();
  });

  test("the queues per provider from Redis; with Redis down they are null and the rest still answers", async () => {
    const up = await readStats(deps(), operator, W);
    expect(up.queues?.azure.depth).toBe(2);
    expect(up.queues?.aws.depth).toBe(0);
    captured.clear();
    const down = await readStats(deps({ redis: downRedis }), operator, W);
    expect(down.queues).toBeNull();
    expect(down.series).toEqual(up.series);
    expect(captured.lines().some((l) => l.level === "warn")).toBe(true);
  });

  test("PostgreSQL down is a DependencyUnavailableError naming postgres", async () => {
    const err = await errorWithPostgresDown((dead) => readStats(deps({ sql: dead }), operator, W));
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect((err as DependencyUnavailableError).dependency).toBe("postgres");
  });
});
