import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import type { Policy, WebhookRules } from "../../lib/policy/schema.ts";
import type { Job } from "../../lib/queue/job.ts";
import { queueKeys } from "../../lib/queue/keys.ts";
import { WEBHOOK_EVENT_TYPES } from "../../lib/webhooks/event-types.ts";
import { startWebhooksRuntime, type WebhooksRuntime } from "../fixtures/webhooks-runtime.ts";
import { awsGrant, startWorkerHarness, type WorkerHarness } from "../fixtures/worker-harness.ts";
import { auth } from "../helpers/api.ts";
import { type Hit, newSecret, type Receiver, startReceiver } from "../helpers/receiver.ts";
import { waitUntil } from "../helpers/spawn-service.ts";

// Delivery end to end in one process: real grants and revocations (worker handler, cloudsim
// through the SDK), the outbox trigger in PostgreSQL, the dispatcher, queue:webhooks in Redis and
// the delivery consumer, to real receivers (Bun.serve) that verify with standardwebhooks.
setDefaultTimeout(45_000);

const ARN = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const [S1, S2] = [newSecret(), newSecret()];
let h: WorkerHarness;
let rt: WebhooksRuntime | undefined;
const receivers: Receiver[] = [];

const rules = (endpoints: WebhookRules["endpoints"], more: Partial<WebhookRules> = {}): WebhookRules => ({
  endpoints,
  events: [...WEBHOOK_EVENT_TYPES],
  expiring_lead_time: "PT1H",
  secrets: [{ env: "TESTER_SECRET_NEW" }, { env: "TESTER_SECRET_OLD" }],
  ...more,
});
const policyWith = (webhooks: WebhookRules): Policy => ({
  clients: {
    tester: { providers: ["aws"], aws: { policy_arns: ["**"], inline_policies: true }, webhooks },
    other: { providers: ["aws"], aws: { policy_arns: ["**"] } },
  },
});

/** The API knows the endpoints (callback_url); the webhooks runtime gets its own policy per test. */
const apiPolicy = policyWith(rules([{ url: "http://127.0.0.1:1/a" }, { url: "http://127.0.0.1:1/b" }]));

beforeAll(async () => {
  h = await startWorkerHarness({ policy: apiPolicy });
});
afterEach(async () => {
  await rt?.stop();
  rt = undefined;
  for (const r of receivers.splice(0)) await r.stop();
});
afterAll(async () => {
  await h.close();
});

function receiver(respond?: Receiver["respond"]): Receiver {
  const r = startReceiver(respond ? { respond } : {});
  receivers.push(r);
  return r;
}

async function runtime(
  webhooks: WebhookRules,
  over: Parameters<typeof startWebhooksRuntime>[0]["over"] = {},
) {
  rt = await startWebhooksRuntime({
    sql: h.api.db.sql,
    redis: h.api.r.redis,
    redisUrl: h.api.r.url,
    prefix: h.api.r.prefix,
    policy: policyWith(webhooks),
    secrets: { tester: [S1, S2] },
    over,
  });
  return rt;
}

const body = (hit: Hit) => JSON.parse(hit.body) as { type: string; data: Record<string, unknown> };
const hitsFor = (r: Receiver, id: string, type?: string) =>
  r.hits.filter((x) => body(x).data.correlation_id === id && (type === undefined || body(x).type === type));

async function deliveries(id: string) {
  return await h.api.db.sql<
    {
      id: string;
      endpoint_url: string;
      event_type: string;
      status: string;
      attempts: number;
      last_status_code: number | null;
      last_error: string | null;
    }[]
  >`SELECT id, endpoint_url, event_type, status, attempts, last_status_code, last_error
    FROM webhook_deliveries WHERE correlation_id = ${id} ORDER BY created_at, endpoint_url`;
}

async function grant(user = "alice", more: Record<string, unknown> = {}) {
  const { id, job } = await h.submit({ ...awsGrant(user, ARN), ...more });
  await h.run(job);
  return id;
}

describe("delivered once per endpoint, signed, verifiable with standardwebhooks", () => {
  test("request.succeeded and grant.revoked reach every subscribed endpoint exactly once", async () => {
    const [a, b, failuresOnly] = [receiver(), receiver(), receiver()];
    await runtime(
      rules([{ url: a.url }, { url: b.url }, { url: failuresOnly.url, events: ["request.failed"] }]),
    );
    const id = await grant("alice");
    await h.endNow(id);
    await h.run((await h.scheduledRevocation(id))?.job as Job);
    await waitUntil(
      async () => (await deliveries(id)).filter((d) => d.status === "delivered").length === 4,
      "4 deliveries",
    );
    for (const r of [a, b]) {
      expect(hitsFor(r, id, "request.succeeded")).toHaveLength(1);
      expect(hitsFor(r, id, "grant.revoked")).toHaveLength(1);
    }
    expect(hitsFor(failuresOnly, id)).toHaveLength(0);
    expect((await deliveries(id)).map((d) => d.endpoint_url).sort()).toEqual(
      [a.url, a.url, b.url, b.url].sort(),
    );
    expect(await h.api.r.redis.llen(queueKeys("webhooks").queue)).toBe(0);

    for (const hit of [...hitsFor(a, id), ...hitsFor(b, id)]) {
      // Either secret of the rotation verifies; another secret does not.
      for (const s of [S1, S2])
        expect(new Webhook(s).verify(hit.body, hit.headers)).toEqual(JSON.parse(hit.body));
      expect(() => new Webhook(newSecret()).verify(hit.body, hit.headers)).toThrow(WebhookVerificationError);
      expect(hit.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
      expect(hit.headers["content-type"]).toBe("application/json");
    }
    const succeeded = body(hitsFor(a, id, "request.succeeded")[0] as Hit);
    expect(succeeded.data).toMatchObject({
      correlation_id: id,
      status: "SUCCESS",
      client: "tester",
      cloud_provider: "aws",
    });
    const revoked = body(hitsFor(a, id, "grant.revoked")[0] as Hit);
    expect(revoked.data).toMatchObject({ revocation_status: "REVOKED", event: "REVOCATION" });
    // webhook-id is the delivery's id: one per (event, endpoint).
    const ids = (await deliveries(id)).map((d) => d.id).sort();
    expect([...hitsFor(a, id), ...hitsFor(b, id)].map((x) => x.headers["webhook-id"]).sort()).toEqual(ids);
  });

  test("request.failed carries the cloud's code; a callback_url narrows delivery to that endpoint", async () => {
    const [a, b] = [receiver(), receiver()];
    await runtime(rules([{ url: a.url }, { url: b.url }]));
    const { id, job } = await h.submit(awsGrant("nobody-there", ARN));
    await h.run(job);
    await waitUntil(async () => hitsFor(a, id, "request.failed").length === 1, "request.failed at a");
    expect(body(hitsFor(a, id, "request.failed")[0] as Hit).data.detail).toMatchObject({
      code: "NoSuchEntity",
    });

    // The API only accepts a callback_url of the client's configured endpoints (apiPolicy's /b).
    const narrowed = await h.submit({ ...awsGrant("bob", ARN), callback_url: "http://127.0.0.1:1/b" });
    expect(narrowed.job.request).toMatchObject({ callback_url: "http://127.0.0.1:1/b" });
    const refused = await h.api.post({
      ...awsGrant("bob", ARN),
      callback_url: "http://127.0.0.1:9/elsewhere",
    });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { rule: string }).rule).toBe("webhooks.endpoints");
    // The runtime's endpoints are a and b; the API is told of b too (it reads its policy per
    // request), so a request may name b, and then it goes to b only.
    apiPolicy.clients.tester?.webhooks?.endpoints.push({ url: b.url });
    const nid = await grant("bob", { callback_url: b.url });
    await waitUntil(async () => hitsFor(b, nid, "request.succeeded").length === 1, "request.succeeded at b");
    expect(hitsFor(a, nid)).toHaveLength(0);
    expect(new Set((await deliveries(nid)).map((d) => d.endpoint_url))).toEqual(new Set([b.url]));
  });
});

describe("retries, the dead list, redelivery", () => {
  test("a receiver that fails 5 times then succeeds gets it on the 6th try, under one webhook-id", async () => {
    const flaky = receiver((_hit, n) => new Response("busy", { status: n <= 5 ? 503 : 200 }));
    await runtime(rules([{ url: flaky.url, events: ["request.succeeded"] }]));
    const id = await grant("carol");
    await waitUntil(async () => (await deliveries(id))[0]?.status === "delivered", "delivered");
    const [d] = await deliveries(id);
    expect(d).toMatchObject({ attempts: 6, last_status_code: 200, last_error: null });
    const hits = hitsFor(flaky, id);
    expect(hits).toHaveLength(6);
    expect(new Set(hits.map((x) => x.headers["webhook-id"]))).toEqual(new Set([d?.id]));
    // Each attempt is signed afresh (its own timestamp) and verifies.
    for (const hit of hits) new Webhook(S1).verify(hit.body, hit.headers);
  });

  test("one that never answers ends on the dead list; redelivery sends it again under the same webhook-id", async () => {
    let answering = false;
    const silent = receiver(() =>
      answering ? new Response(null, { status: 204 }) : new Promise<Response>(() => {}),
    );
    await runtime(rules([{ url: silent.url, events: ["request.succeeded"] }]), {
      timeoutMs: 150,
      horizonMs: 1200,
      backoff: { baseMs: 50, maxMs: 300 },
    });
    const id = await grant("dave");
    await waitUntil(async () => (await deliveries(id))[0]?.status === "dead", "dead", 20_000);
    const [d] = await deliveries(id);
    expect(d?.attempts).toBeGreaterThan(1);
    expect(d?.last_status_code).toBeNull();
    expect(d?.last_error).toContain("no answer");
    const dead = await h.api.r.redis.lrange(queueKeys("webhooks").dead, 0, -1);
    expect(dead.some((e) => (JSON.parse(e) as { job: string }).job.includes(d?.id ?? "?"))).toBe(true);

    answering = true;
    const before = hitsFor(silent, id).length;
    const res = await h.api.app.request(`/api/v1/webhooks/deliveries/${d?.id}/redeliver`, {
      method: "POST",
      headers: auth(),
    });
    expect(res.status).toBe(202);
    await waitUntil(async () => (await deliveries(id))[0]?.status === "delivered", "redelivered");
    const last = hitsFor(silent, id).at(-1) as Hit;
    expect(hitsFor(silent, id).length).toBe(before + 1);
    expect(last.headers["webhook-id"]).toBe(d?.id);
    new Webhook(S2).verify(last.body, last.headers);
  });
});

describe("per-endpoint concurrency", () => {
  test("a slow endpoint holds at most its max_in_flight; the others are not delayed", async () => {
    let inFlight = 0;
    let most = 0;
    const slow = receiver(async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await Bun.sleep(2500);
      inFlight--;
      return new Response(null, { status: 204 });
    });
    const fast = receiver();
    await runtime(
      rules([
        { url: slow.url, max_in_flight: 1, events: ["request.succeeded"] },
        { url: fast.url, events: ["request.succeeded"] },
      ]),
    );
    const ids: string[] = [];
    for (const user of ["alice", "bob", "carol", "dave", "erin"]) ids.push(await grant(user));
    const started = Date.now();
    await waitUntil(
      async () => ids.every((id) => hitsFor(fast, id).length === 1),
      "fast endpoint got all five",
    );
    const fastDone = Date.now() - started;
    // The slow endpoint has been sent at most what one slot allows meanwhile, one at a time.
    expect(slow.hits.length).toBeLessThanOrEqual(Math.ceil(fastDone / 2500) + 1);
    expect(slow.hits.length).toBeLessThan(5);
    expect(most).toBe(1);
  });
});

describe("grant.expiring and grant.extended", () => {
  test("expiring fires once per end; an extension fires grant.extended and arms expiring again", async () => {
    const r = receiver();
    await runtime(rules([{ url: r.url, events: ["grant.expiring", "grant.extended"] }]));
    const id = await grant("erin", { duration: "PT30M" }); // within the 1 h lead time at once
    await waitUntil(async () => hitsFor(r, id, "grant.expiring").length === 1, "grant.expiring");
    const first = body(hitsFor(r, id, "grant.expiring")[0] as Hit).data;
    const res = await h.api.app.request(`/api/v1/requests/${id}/extend`, {
      method: "POST",
      headers: { ...auth(), "content-type": "application/json" },
      body: JSON.stringify({ duration: "PT10M" }),
    });
    expect(res.status).toBe(200);
    await waitUntil(async () => hitsFor(r, id, "grant.expiring").length === 2, "grant.expiring again");
    await waitUntil(async () => hitsFor(r, id, "grant.extended").length === 1, "grant.extended");
    const extended = body(hitsFor(r, id, "grant.extended")[0] as Hit).data;
    expect(extended.detail).toMatchObject({ by: "tester", from: first.revoke_at });
    expect(extended.revoke_at).toBe((extended.detail as { to: string }).to);
    const second = body(hitsFor(r, id, "grant.expiring")[1] as Hit).data;
    expect(Date.parse(String(second.revoke_at)) - Date.parse(String(first.revoke_at))).toBe(10 * 60_000);
    // Nothing more: expiring already fired for this end.
    await waitUntil(
      async () => (await deliveries(id)).every((d) => d.status === "delivered"),
      "all delivered",
    );
    expect(hitsFor(r, id, "grant.expiring")).toHaveLength(2);
  });
});
