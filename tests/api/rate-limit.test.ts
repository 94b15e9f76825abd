import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parsePolicyText } from "../../lib/policy/load.ts";
import { auth, createTestApi, samples, type TestApi, writtenState } from "../helpers/api.ts";
import { waitUntil } from "../helpers/spawn-service.ts";

// Issue 8: per-client rate limits, counted before any write, headers per
// draft-ietf-httpapi-ratelimit-headers; one client's hammering does not refuse another's requests.
const POLICY = `
rate_limit: { requests: 1000, per: PT1S }
clients:
  limited:
    providers: [aws]
    aws: { policy_arns: ["**"] }
    rate_limit: { requests: 5, per: PT1M, burst: 5 }
  other:
    providers: [aws]
    aws: { policy_arns: ["**"] }
    rate_limit: { requests: 4, per: PT1M, burst: 4 }
  tester:
    providers: [aws]
    aws: { policy_arns: ["**"] }
  awsop:
    rate_limit: { requests: 1, per: PT1S, burst: 1 }
`;

describe("rate limits per client", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi({ policy: parsePolicyText(POLICY, "yaml", "rate-limit-policy.yaml") });
  });
  afterAll(async () => {
    await api.close();
  });

  test("over its limit a client gets 429 with Retry-After and RateLimit fields; another gets 202 meanwhile", async () => {
    for (let i = 0; i < 5; i++) {
      const ok = await api.post(samples.awsManaged(), auth("limited"));
      expect(ok.status).toBe(202);
      expect(ok.headers.get("ratelimit-policy")).toBe('"client";q=5;w=60');
      expect(ok.headers.get("ratelimit")).toMatch(new RegExp(`^"client";r=${4 - i};t=\\d+$`));
    }
    const before = await writtenState(api);
    // The over-limit request and another client's, at the same moment.
    const [refused, meanwhile] = await Promise.all([
      api.post(samples.awsManaged(), auth("limited")),
      api.post(samples.awsManaged(), auth("tester")),
    ]);
    expect(meanwhile.status).toBe(202);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(12); // one request comes back every 12 s
    expect(refused.headers.get("ratelimit-policy")).toBe('"client";q=5;w=60');
    expect(refused.headers.get("ratelimit")).toBe(`"client";r=0;t=${retryAfter}`);
    const problem = (await refused.json()) as { code: string; status: number; detail: string };
    expect(problem).toMatchObject({ code: "rate_limited", status: 429 });
    expect(problem.detail).toContain("limited");
    // Only the other client's request was written.
    const after = await writtenState(api);
    expect(after).toEqual({ rows: before.rows + 1, events: before.events + 1, jobs: before.jobs + 1 });
  });

  test("counted before the body is read and for every endpoint: over the limit, bad JSON and GETs are 429 too", async () => {
    const bad = await api.post("{not json", auth("limited"));
    expect(bad.status).toBe(429);
    expect((await api.get(`/api/v1/requests/${crypto.randomUUID()}`, auth("limited"))).status).toBe(429);
    expect((await api.get("/api/v1/schema", auth("limited"))).status).toBe(429);
  });

  test("concurrent requests over the burst: exactly the budget is accepted and written", async () => {
    const before = await writtenState(api);
    const results = await Promise.all(
      Array.from({ length: 12 }, () => api.post(samples.awsManaged(), auth("other"))),
    );
    const codes = results.map((r) => r.status).sort();
    expect(codes).toEqual([...Array(4).fill(202), ...Array(8).fill(429)]);
    const after = await writtenState(api);
    expect(after.rows - before.rows).toBe(4);
    expect(after.jobs - before.jobs).toBe(4);
  });

  test("once refused, a client is refused without a Redis call until its retry time, then served again", async () => {
    const schema = () => api.get("/api/v1/schema", auth("awsop"));
    expect((await schema()).status).toBe(200);
    const refused = await schema();
    expect(refused.status).toBe(429);
    // Remove the bucket: a limiter that asked Redis would now allow; the refusal memo does not ask.
    await api.r.redis.del("ratelimit:awsop");
    const again = await schema();
    expect(again.status).toBe(429);
    expect(Number(again.headers.get("retry-after"))).toBe(1);
    expect(await api.r.redis.exists("ratelimit:awsop")).toBe(0);
    // The memo ends when Redis said it would: polling (each poll refused without touching the
    // bucket) gets a 200 again within the second.
    let status = 429;
    await waitUntil(
      async () => {
        status = (await schema()).status;
        return status === 200;
      },
      "awsop to be served again",
      5000,
    );
    expect(status).toBe(200);
  });

  test("a client without its own limit gets the file's default", async () => {
    const res = await api.get("/api/v1/schema", auth("tester"));
    expect(res.headers.get("ratelimit-policy")).toBe('"client";q=1000;w=1');
  });

  test("unauthenticated requests are refused before the limiter: 401, no RateLimit fields", async () => {
    const res = await api.get("/api/v1/schema", { authorization: "Bearer nobody-0123456789" });
    expect(res.status).toBe(401);
    expect(res.headers.get("ratelimit")).toBeNull();
  });

  test("health endpoints are not limited", async () => {
    const res = await api.get("/healthz", {});
    expect(res.status).toBe(200);
    expect(res.headers.get("ratelimit")).toBeNull();
  });
});

describe("RATE_LIMITS=off", () => {
  test("no limit is applied and no fields are sent", async () => {
    const api = await createTestApi({
      policy: parsePolicyText(
        "clients:\n  tester:\n    rate_limit: { requests: 1, per: PT1M }\n",
        "yaml",
        "off.yaml",
      ),
      rateLimits: false,
    });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await api.get("/api/v1/schema", auth("tester"));
        expect(res.status).toBe(200);
        expect(res.headers.get("ratelimit")).toBeNull();
      }
    } finally {
      await api.close();
    }
  });
});
