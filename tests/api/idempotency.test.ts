import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { auth, createTestApi, samples, type TestApi, writtenState } from "../helpers/api.ts";

describe("Idempotency-Key", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  test("same key and body → the same correlation id, one row, one job", async () => {
    const before = await writtenState(api);
    const body = samples.awsManaged();
    const first = await api.post(body, { "idempotency-key": "ticket-42" });
    expect(first.status).toBe(202);
    // Same data with the keys in another order is the same body.
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const second = await api.post(reordered, { "idempotency-key": "ticket-42" });
    expect(second.status).toBe(202);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    const a = (await first.json()) as { correlation_id: string };
    const b = (await second.json()) as { correlation_id: string };
    expect(b.correlation_id).toBe(a.correlation_id);
    expect(await writtenState(api)).toEqual({
      rows: before.rows + 1,
      events: before.events + 1,
      jobs: before.jobs + 1,
    });
  });

  test("a replay reports the first request's current status, not PENDING", async () => {
    const body = samples.awsManaged();
    const first = await api.post(body, { "idempotency-key": "ticket-44" });
    const { correlation_id, status } = (await first.json()) as { correlation_id: string; status: string };
    expect(status).toBe("PENDING");
    for (const now of ["PROCESSING", "SUCCESS", "FAILED"]) {
      await api.db.sql`UPDATE requests SET status = ${now} WHERE correlation_id = ${correlation_id}`;
      const replay = await api.post(body, { "idempotency-key": "ticket-44" });
      expect(replay.status).toBe(202);
      expect(replay.headers.get("idempotent-replayed")).toBe("true");
      expect(await replay.json()).toEqual({ correlation_id, status: now });
    }
  });

  test("same key, other body → 409 and nothing written", async () => {
    await api.post(samples.awsManaged(), { "idempotency-key": "ticket-43" });
    const before = await writtenState(api);
    const res = await api.post(
      { ...samples.awsManaged(), ticket: "CHG-9999" },
      { "idempotency-key": "ticket-43" },
    );
    expect(res.status).toBe(409);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(((await res.json()) as { detail: string }).detail).toBe(
      "Idempotency-Key was already used with a different body",
    );
    expect(await writtenState(api)).toEqual(before);
  });

  test("keys are per client: another client's same key is a new request", async () => {
    const mine = await api.post(samples.awsManaged(), { "idempotency-key": "shared-key" });
    const theirs = await api.post(samples.awsManaged(), {
      "idempotency-key": "shared-key",
      ...auth("other"),
    });
    expect(theirs.status).toBe(202);
    const a = (await mine.json()) as { correlation_id: string };
    const b = (await theirs.json()) as { correlation_id: string };
    expect(b.correlation_id).not.toBe(a.correlation_id);
  });

  test("concurrent retries with one key make exactly one row", async () => {
    const before = await writtenState(api);
    const body = samples.azureReader();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => api.post(body, { "idempotency-key": "burst-1" })),
    );
    const ids = new Set<string>();
    for (const r of results) {
      expect(r.status).toBe(202);
      ids.add(((await r.json()) as { correlation_id: string }).correlation_id);
    }
    expect(ids.size).toBe(1);
    expect(await writtenState(api)).toEqual({
      rows: before.rows + 1,
      events: before.events + 1,
      jobs: before.jobs + 1,
    });
  });
});
