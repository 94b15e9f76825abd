import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { jobSchema } from "../../lib/queue/job.ts";
import { createTestApi, samples, type TestApi } from "../helpers/api.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("POST and GET /api/v1/requests: happy path", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  for (const [name, make, queue] of [
    ["aws", samples.awsManaged, "queue:aws"],
    ["azure", samples.azureReader, "queue:azure"],
  ] as const) {
    test(`${name}: 202 with a UUID, a PENDING row, a job on ${queue}, readable back`, async () => {
      const before = await api.r.redis.llen(queue);
      const sent = make();
      const res = await api.post(sent);
      expect(res.status).toBe(202);
      const body = (await res.json()) as { correlation_id: string; status: string };
      expect(body.status).toBe("PENDING");
      expect(body.correlation_id).toMatch(UUID);
      expect(res.headers.get("location")).toBe(`/api/v1/requests/${body.correlation_id}`);

      const [row] = await api.db.sql`SELECT * FROM requests WHERE correlation_id = ${body.correlation_id}`;
      expect(row?.status).toBe("PENDING");
      expect(row?.cloud_provider).toBe(name);
      expect(row?.client).toBe("tester");
      expect(row?.request_payload).toEqual(sent as never);
      const events = await api.db.sql`SELECT kind, to_status FROM request_events
                                      WHERE correlation_id = ${body.correlation_id}`;
      expect(events).toEqual([{ kind: "RECEIVED", to_status: "PENDING" }] as never);

      expect(await api.r.redis.llen(queue)).toBe(before + 1);
      const raw = await api.r.redis.lindex(queue, 0);
      const job = jobSchema.parse(JSON.parse(raw ?? "null"));
      expect(job).toMatchObject({
        correlation_id: body.correlation_id,
        provider: name,
        kind: "grant",
        attempt: 0,
      });

      const first = await api.get(`/api/v1/requests/${body.correlation_id}`);
      expect(first.status).toBe(200);
      expect(first.headers.get("x-cache")).toBe("MISS");
      const view = (await first.json()) as Record<string, unknown>;
      expect(view).toMatchObject({
        correlation_id: body.correlation_id,
        status: "PENDING",
        cloud_provider: name,
        action: "grant",
        client: "tester",
        completed_at: null,
        error_details: null,
        revocation_status: null,
      });
      expect(typeof view.expires_at).toBe("string");
      const second = await api.get(`/api/v1/requests/${body.correlation_id}`);
      expect(second.headers.get("x-cache")).toBe("HIT");
      expect(await second.json()).toEqual(view);
    });
  }

  test("after the row changes and the key is deleted, GET returns the new state", async () => {
    const res = await api.post(samples.awsManaged());
    const { correlation_id } = (await res.json()) as { correlation_id: string };
    await api.get(`/api/v1/requests/${correlation_id}`);
    expect((await api.get(`/api/v1/requests/${correlation_id}`)).headers.get("x-cache")).toBe("HIT");

    await api.db.sql`UPDATE requests SET status = 'FAILED', completed_at = now(),
                     error_details = ${api.db.sql.json({ code: "NoSuchEntity" })}
                     WHERE correlation_id = ${correlation_id}`;
    await api.r.redis.del(correlation_id);
    const after = await api.get(`/api/v1/requests/${correlation_id}`);
    expect(after.headers.get("x-cache")).toBe("MISS");
    expect(await after.json()).toMatchObject({ status: "FAILED", error_details: { code: "NoSuchEntity" } });
  });

  test("a non-final status is cached briefly, a final one for the full TTL", async () => {
    const res = await api.post(samples.awsManaged());
    const { correlation_id } = (await res.json()) as { correlation_id: string };
    await api.get(`/api/v1/requests/${correlation_id}`);
    const movingTtl = await api.r.redis.ttl(correlation_id);
    expect(movingTtl).toBeGreaterThan(0);
    expect(movingTtl).toBeLessThanOrEqual(2);

    await api.db.sql`UPDATE requests SET status = 'FAILED' WHERE correlation_id = ${correlation_id}`;
    await api.r.redis.del(correlation_id);
    await api.get(`/api/v1/requests/${correlation_id}`);
    expect(await api.r.redis.ttl(correlation_id)).toBeGreaterThan(200);
  });

  test("GET /api/v1/schema serves the JSON Schema generated from the zod schema", async () => {
    const res = await api.get("/api/v1/schema");
    expect(res.status).toBe(200);
    const schema = JSON.stringify(await res.json());
    expect(schema).toContain("managed_policy");
    expect(schema).toContain("azure");
  });

  test("healthz and readyz answer when everything is up", async () => {
    expect((await api.get("/healthz", {})).status).toBe(200);
    const ready = await api.get("/readyz", {});
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", postgres: "ok", redis: "ok" });
  });

  test("every request is logged once as JSON with its correlation id, never the token", async () => {
    api.logLines.length = 0;
    const res = await api.post(samples.awsManaged());
    const { correlation_id } = (await res.json()) as { correlation_id: string };
    await api.log.flush();
    const lines = api.logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const mine = lines.filter((l) => l.correlation_id === correlation_id && l.msg === "request");
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ method: "POST", status: 202, client: "tester", service: "test-api" });
    expect(api.logLines.join("\n")).not.toContain("test-secret");
  });
});
