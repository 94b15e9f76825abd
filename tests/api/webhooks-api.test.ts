import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { insertRequest } from "../../lib/db/requests.ts";
import { claimForProcessing, markSucceeded } from "../../lib/db/transitions.ts";
import { createLogger } from "../../lib/logging/logger.ts";
import { parsePolicyText } from "../../lib/policy/load.ts";
import { queueKeys } from "../../lib/queue/keys.ts";
import { deliveriesPageSchema } from "../../lib/webhooks/api-schemas.ts";
import { webhookDirectory } from "../../lib/webhooks/directory.ts";
import { dispatchPass } from "../../lib/webhooks/dispatch.ts";
import { auth, createTestApi, samples, type TestApi, type TestClient, writtenState } from "../helpers/api.ts";

// GET /api/v1/webhooks/deliveries and POST .../redeliver: who sees and may resend what; and the
// callback_url guardrail on submit. Deliveries come from real status changes through the outbox
// trigger and the dispatcher (no sending here).
const POLICY = parsePolicyText(
  `
clients:
  tester:
    providers: [aws]
    aws: { policy_arns: ["**"] }
    webhooks:
      endpoints: [{ url: "https://hooks.tester.example/a" }, { url: "https://hooks.tester.example/b" }]
      events: [request.succeeded]
      secrets: [{ env: TESTER_SECRET }]
  other:
    providers: [aws]
    aws: { policy_arns: ["**"] }
    webhooks:
      endpoints: [{ url: "https://hooks.other.example/" }]
      events: [request.succeeded]
      secrets: [{ env: OTHER_SECRET }]
  operator: { role: operator, providers: [aws], aws: { policy_arns: ["**"] } }
  auditor: { role: auditor }
`,
  "yaml",
  "webhooks-api.yaml",
);

let api: TestApi;
const ids: Record<string, string[]> = { tester: [], other: [] };

beforeAll(async () => {
  api = await createTestApi({ policy: POLICY });
  for (const client of ["tester", "tester", "tester", "other"]) ids[client]?.push(await succeeded(client));
  await dispatchPass({
    sql: api.db.sql,
    redis: api.r.redis,
    log: createLogger({ service: "test", level: "silent" }),
    directory: webhookDirectory(POLICY),
    batch: 10,
    queueLeaseMs: 60_000,
  });
});
afterAll(async () => {
  await api.close();
});

async function succeeded(client: string): Promise<string> {
  const id = randomUUID();
  await insertRequest(api.db.sql, {
    correlationId: id,
    provider: "aws",
    action: "grant",
    client,
    payload: samples.awsManaged(),
    requestHash: id,
    idempotencyKey: null,
    accessKey: `aws:user/${id}:policy:x`,
    principal: "user/alice",
    ticket: null,
    requestedBy: null,
    expiresAt: null,
    durationMs: 3_600_000,
  });
  await claimForProcessing(api.db.sql, id, `j-${id}`, 60_000);
  await markSucceeded(api.db.sql, id, {}, {});
  return id;
}

const list = async (query: string, as: TestClient = "tester") => {
  const res = await api.get(`/api/v1/webhooks/deliveries${query}`, auth(as));
  return { res, body: res.status === 200 ? deliveriesPageSchema.parse(await res.json()) : await res.json() };
};
const redeliver = (id: string, as: TestClient = "tester") =>
  Promise.resolve(
    api.app.request(`/api/v1/webhooks/deliveries/${id}/redeliver`, { method: "POST", headers: auth(as) }),
  );

describe("GET /api/v1/webhooks/deliveries", () => {
  test("a submitter sees its own deliveries, one per (event, endpoint), for the timeline by correlation_id", async () => {
    const id = ids.tester?.[0] ?? "";
    const { res, body } = await list(`?correlation_id=${id}`);
    expect(res.status).toBe(200);
    const page = deliveriesPageSchema.parse(body);
    expect(page.deliveries.map((d) => d.endpoint_url).sort()).toEqual([
      "https://hooks.tester.example/a",
      "https://hooks.tester.example/b",
    ]);
    for (const d of page.deliveries) {
      expect(d).toMatchObject({
        correlation_id: id,
        event_type: "request.succeeded",
        status: "pending",
        attempts: 0,
      });
      expect(d.webhook_id).toBe(d.id);
    }
    const all = deliveriesPageSchema.parse((await list("")).body);
    expect(all.deliveries).toHaveLength(6);
    expect(all.deliveries.every((d) => d.client === "tester")).toBe(true);
    // Another client's request: nothing, as for an unknown one; and asking for its client changes nothing.
    expect(
      deliveriesPageSchema.parse((await list(`?correlation_id=${ids.other?.[0]}`)).body).deliveries,
    ).toEqual([]);
    expect(deliveriesPageSchema.parse((await list("?client=other")).body).deliveries).toEqual([]);
  });

  test("keyset pages, newest first; filters by status and event type", async () => {
    const first = deliveriesPageSchema.parse((await list("?limit=4")).body);
    expect(first.deliveries).toHaveLength(4);
    expect(first.next_cursor).not.toBeNull();
    const second = deliveriesPageSchema.parse((await list(`?limit=4&cursor=${first.next_cursor}`)).body);
    expect(second.deliveries).toHaveLength(2);
    expect(second.next_cursor).toBeNull();
    const seen = [...first.deliveries, ...second.deliveries].map((d) => d.id);
    expect(new Set(seen).size).toBe(6);
    expect(deliveriesPageSchema.parse((await list("?status=dead")).body).deliveries).toEqual([]);
    expect(
      deliveriesPageSchema.parse((await list("?event_type=request.succeeded")).body).deliveries,
    ).toHaveLength(6);
  });

  test("operators see every client's, and the read is recorded in access_log", async () => {
    const before = await api.db.sql`SELECT count(*)::int AS n FROM access_log`;
    const page = deliveriesPageSchema.parse((await list("", "operator")).body);
    expect(new Set(page.deliveries.map((d) => d.client))).toEqual(new Set(["tester", "other"]));
    const after = await api.db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM access_log`;
    expect(after[0]?.n).toBe((before[0] as { n: number }).n + 1);
    const [row] = await api.db.sql<{ client: string; action: string; result_count: number }[]>`
      SELECT client, action, result_count FROM access_log ORDER BY id DESC LIMIT 1`;
    expect(row).toMatchObject({ client: "operator", action: "list", result_count: 7 });
    // The auditor reads too; only the owner's own reads go unrecorded.
    expect((await list("", "auditor")).res.status).toBe(200);
  });

  test("bad queries are 422 problems naming every bad parameter, never a 500", async () => {
    const { res, body } = await list("?status=lost&correlation_id=nope&limit=0&cursor=%%%");
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const pointers = (body as { errors: { pointer: string }[] }).errors.map((e) => e.pointer).sort();
    expect(pointers).toEqual(["query:correlation_id", "query:limit", "query:status"]);
    expect((await list("?cursor=bm90LWEtY3Vyc29y")).res.status).toBe(422);
    expect((await list("?unknown=1")).res.status).toBe(422);
    expect((await list("?status=dead&status=pending")).res.status).toBe(422);
  });
});

describe("POST /api/v1/webhooks/deliveries/{id}/redeliver", () => {
  test("a pending delivery is 409; a dead one goes pending again with a new job, under the same id", async () => {
    const page = deliveriesPageSchema.parse((await list(`?correlation_id=${ids.tester?.[1]}`)).body);
    const d = page.deliveries[0];
    if (!d) throw new Error("no delivery");
    expect((await redeliver(d.id)).status).toBe(409);
    await api.db
      .sql`UPDATE webhook_deliveries SET status = 'dead', attempts = 9, lease_job = NULL WHERE id = ${d.id}`;
    const queued = await api.r.redis.llen(queueKeys("webhooks").queue);
    const res = await redeliver(d.id);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ id: d.id, status: "pending" });
    const [row] = await api.db.sql<{ status: string; lease_job: string }[]>`
      SELECT status, lease_job FROM webhook_deliveries WHERE id = ${d.id}`;
    expect(row?.status).toBe("pending");
    expect(await api.r.redis.llen(queueKeys("webhooks").queue)).toBe(queued + 1);
    const job = JSON.parse((await api.r.redis.lindex(queueKeys("webhooks").queue, 0)) ?? "{}") as Record<
      string,
      unknown
    >;
    expect(job).toMatchObject({
      provider: "webhooks",
      kind: "deliver",
      delivery_id: d.id,
      id: row?.lease_job,
    });
  });

  test("another client's delivery is a 404; an auditor may never redeliver; a bad id is 400", async () => {
    const theirs = deliveriesPageSchema.parse(
      (await list(`?correlation_id=${ids.other?.[0]}`, "operator")).body,
    ).deliveries[0];
    expect((await redeliver(theirs?.id ?? "")).status).toBe(404);
    const auditor = await redeliver(theirs?.id ?? "", "auditor");
    expect(auditor.status).toBe(403);
    expect(((await auditor.json()) as { rule: string }).rule).toBe("role");
    expect((await redeliver("xyz")).status).toBe(400);
    expect((await redeliver(randomUUID())).status).toBe(404);
  });
});

describe("callback_url on submit", () => {
  test("must be one of the client's endpoints: otherwise 403 webhooks.endpoints and nothing written", async () => {
    const before = await writtenState(api);
    for (const url of [
      "https://hooks.other.example/",
      "https://attacker.example/x",
      "http://169.254.169.254/",
    ]) {
      const res = await api.post({ ...samples.awsManaged(), callback_url: url });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { rule: string }).rule).toBe("webhooks.endpoints");
    }
    expect(await writtenState(api)).toEqual(before);
    const bad = await api.post({ ...samples.awsManaged(), callback_url: "ftp://x/" });
    expect(bad.status).toBe(422);
    const ok = await api.post({ ...samples.awsManaged(), callback_url: "https://hooks.tester.example/b" });
    expect(ok.status).toBe(202);
  });
});
