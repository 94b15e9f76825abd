import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parsePolicyText } from "../../lib/policy/load.ts";
import { auth, createTestApi, type TestApi } from "../helpers/api.ts";
import { seedRequests } from "../helpers/seed-requests.ts";

// GET /api/v1/stats: counts per bucket × provider × status, queue figures from Redis, and the
// revocation figures on the database clock.
const POLICY = parsePolicyText("clients:\n  operator:\n    role: operator\n", "yaml", "stats.yaml");
const H = 3600_000;
const MIN = 60_000;

describe("GET /api/v1/stats", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi({ policy: POLICY });
    await seedRequests(api.db.sql, [
      { receivedAt: "2026-03-01T10:00:00Z", status: "SUCCESS" },
      { receivedAt: "2026-03-01T10:59:59.999999Z", status: "SUCCESS" },
      { receivedAt: "2026-03-01T11:00:00Z", status: "FAILED" },
      { receivedAt: "2026-03-01T11:30:00Z", status: "FAILED", provider: "azure" },
      { receivedAt: "2026-03-01T12:00:00Z", status: "PENDING" }, // at `to`: outside
      { receivedAt: "2026-03-01T09:59:59Z", status: "PENDING" }, // before `from`: outside
    ]);
    // Revocations, relative to now (the database and the test share the machine's clock).
    await seedRequests(api.db.sql, [
      { revocationStatus: "SCHEDULED", revokeAt: 10 * MIN, expiresAt: 10 * MIN }, // due soon
      { revocationStatus: "SCHEDULED", revokeAt: 50 * MIN, expiresAt: 50 * MIN }, // due soon
      { revocationStatus: "SCHEDULED", revokeAt: 2 * H, expiresAt: 2 * H }, // not within the hour
      { revocationStatus: "SCHEDULED", revokeAt: -MIN, expiresAt: -MIN }, // late
      { revocationStatus: "SCHEDULED", revokeAt: 20 * MIN, preExisting: true }, // not ours
      // Done in the window: 0.5 s, 3 s and 45 s late.
      { revocationStatus: "REVOKED", revokeAt: -30 * MIN, revokedAt: -30 * MIN + 500 },
      { revocationStatus: "REVOKED", revokeAt: -20 * MIN, revokedAt: -20 * MIN + 3000 },
      { revocationStatus: "REVOKED", revokeAt: -10 * MIN, revokedAt: -10 * MIN + 45_000 },
    ]);
    await api.r.redis.lpush("queue:aws", "job-1", "job-2");
    await api.r.redis.lpush("queue:azure:dead", "dead-1");
  });
  afterAll(async () => {
    await api.close();
  });

  const stats = (query: string, as: "operator" | "tester" = "operator") =>
    api.get(`/api/v1/stats?${query}`, auth(as));

  test("hourly buckets: every row of the window in its bucket, edges half-open", async () => {
    const res = await stats("from=2026-03-01T10:00:00Z&to=2026-03-01T12:00:00Z&bucket=PT1H");
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      buckets: string[];
      bucket_seconds: number;
      series: { provider: string; status: string; counts: number[] }[];
    };
    expect(body.bucket_seconds).toBe(3600);
    expect(body.buckets).toEqual(["2026-03-01T10:00:00.000Z", "2026-03-01T11:00:00.000Z"]);
    expect(body.series).toHaveLength(8); // every provider × status, zeros included
    const counts = (p: string, s: string) =>
      body.series.find((x) => x.provider === p && x.status === s)?.counts;
    expect(counts("aws", "SUCCESS")).toEqual([2, 0]);
    expect(counts("aws", "FAILED")).toEqual([0, 1]);
    expect(counts("azure", "FAILED")).toEqual([0, 1]);
    expect(counts("aws", "PENDING")).toEqual([0, 0]);
  });

  test("buckets align to UTC multiples of their size; a window may start inside one", async () => {
    const res = await stats("from=2026-03-01T10:30:00Z&to=2026-03-01T11:45:00Z&bucket=PT30M");
    const body = (await res.json()) as {
      buckets: string[];
      series: { provider: string; status: string; counts: number[] }[];
    };
    expect(body.buckets).toEqual([
      "2026-03-01T10:30:00.000Z",
      "2026-03-01T11:00:00.000Z",
      "2026-03-01T11:30:00.000Z",
    ]);
    expect(body.series.find((x) => x.provider === "aws" && x.status === "SUCCESS")?.counts).toEqual([
      1, 0, 0,
    ]);
    expect(body.series.find((x) => x.provider === "azure" && x.status === "FAILED")?.counts).toEqual([
      0, 0, 1,
    ]);
    const daily = (await (
      await stats("from=2026-02-28T12:00:00Z&to=2026-03-02T00:00:00Z&bucket=P1D")
    ).json()) as {
      buckets: string[];
    };
    expect(daily.buckets).toEqual(["2026-02-28T00:00:00.000Z", "2026-03-01T00:00:00.000Z"]);
  });

  test("queues from Redis, revocations on the database clock", async () => {
    const res = await stats(`from=${new Date(Date.now() - H).toISOString()}&bucket=PT5M`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      queues: Record<string, { depth: number; dead: number }>;
      revocations: {
        due_next_hour: number;
        due_soon: { bucket_seconds: number; counts: number[] };
        open_obligations: number;
        late: number;
        oldest_late_revoke_at: string | null;
        lateness: {
          revoked: number;
          p50_ms: number;
          max_ms: number;
          histogram: { le_ms: number | null; count: number }[];
        };
      };
    };
    expect(body.queues.aws?.depth).toBe(2);
    expect(body.queues.azure?.dead).toBe(1);
    const r = body.revocations;
    expect(r.due_next_hour).toBe(3); // 10 min, 20 min (pre-existing: still due), 50 min
    expect(r.due_soon.bucket_seconds).toBe(300);
    expect(r.due_soon.counts).toHaveLength(12);
    expect(r.due_soon.counts.reduce((a, b) => a + b, 0)).toBe(3);
    expect(r.due_soon.counts[9] ?? 0).toBeGreaterThanOrEqual(1); // the 50-minute one
    expect(r.open_obligations).toBe(4); // every SCHEDULED but the pre-existing one
    expect(r.late).toBe(1);
    expect(r.oldest_late_revoke_at).not.toBeNull();
    expect(r.lateness.revoked).toBe(3);
    expect(r.lateness.p50_ms).toBeCloseTo(3000, 0);
    expect(r.lateness.max_ms).toBeCloseTo(45_000, 0);
    expect(r.lateness.histogram.map((b) => [b.le_ms, b.count])).toEqual([
      [1000, 1],
      [2000, 0],
      [5000, 1],
      [10_000, 0],
      [30_000, 0],
      [60_000, 1],
      [300_000, 0],
      [null, 0],
    ]);
  });

  test("defaults: the last 24 hours in hours", async () => {
    const body = (await (await stats("")).json()) as {
      buckets: string[];
      bucket: string;
      from: string;
      to: string;
    };
    expect(body.bucket).toBe("PT1H");
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(24 * H);
    expect(body.buckets.length).toBeGreaterThanOrEqual(24);
    expect(body.buckets.length).toBeLessThanOrEqual(25);
  });

  test("bad windows and buckets: 422 naming the parameter", async () => {
    const cases: [string, string[]][] = [
      ["from=2026-03-01T00:00:00Z&to=2026-03-31T00:00:00Z&bucket=PT1M", ["/bucket"]], // 43,200 buckets
      ["bucket=PT0S", ["/bucket"]],
      ["bucket=P1M", ["/bucket"]], // months have no fixed length
      ["bucket=PT0.5S", ["/bucket"]],
      ["bucket=soon", ["/bucket"]],
      ["from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", ["/from"]],
      ["from=yesterday", ["/from"]],
      ["provider=aws", ["/provider"]],
    ];
    for (const [query, pointers] of cases) {
      const res = await stats(query);
      expect(res.status).toBe(422);
      const body = (await res.json()) as { errors: { pointer: string }[] };
      expect(body.errors.map((e) => e.pointer)).toEqual(pointers);
    }
  });

  test("a submitter may not read stats (403, rule role)", async () => {
    const res = await stats("", "tester");
    expect(res.status).toBe(403);
    expect(((await res.json()) as { rule: string }).rule).toBe("role");
  });
});
