import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { recordDriftMissing, reopenObligation } from "../../lib/db/drift.ts";
import { insertRequest } from "../../lib/db/requests.ts";
import { finishRevocation } from "../../lib/db/revocations.ts";
import {
  claimForProcessing,
  decideOwnership,
  markFailed,
  markSucceeded,
  recordRetry,
} from "../../lib/db/transitions.ts";
import { dispatchOutbox } from "../../lib/db/webhook-outbox.ts";
import { samples } from "../helpers/api.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";

// The outbox trigger (migration 0006): which status changes become which webhook events, written
// in the transaction of the change — through the real transition functions of lib/db.
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

async function newRequest(): Promise<string> {
  const id = randomUUID();
  await insertRequest(db.sql, {
    correlationId: id,
    provider: "aws",
    action: "grant",
    client: "tester",
    payload: samples.awsManaged(),
    requestHash: id,
    idempotencyKey: null,
    accessKey: `aws:user/${id}:policy:x`,
    principal: "user/alice",
    ticket: "CHG-1",
    requestedBy: null,
    expiresAt: null,
    durationMs: 3_600_000,
  });
  return id;
}
const outbox = async (id: string) =>
  (
    await db.sql<{ event_type: string }[]>`
      SELECT event_type FROM webhook_outbox WHERE correlation_id = ${id} ORDER BY event_id`
  ).map((r) => r.event_type);

describe("the outbox trigger", () => {
  test("a grant's life: only the webhook events are written, in order", async () => {
    const id = await newRequest(); // RECEIVED: no event
    await claimForProcessing(db.sql, id, "j1", 60_000); // STATUS PROCESSING: none
    await recordRetry(db.sql, id, "j1", 60_000, { code: "Throttling" }); // RETRY: none
    const [{ access_key: accessKey }] = (await db.sql`
      SELECT access_key FROM requests WHERE correlation_id = ${id}`) as unknown as [{ access_key: string }];
    await decideOwnership(db.sql, { id, accessKey, resolved: {}, present: false, sinceMs: 0 }); // OBLIGATION_OPENED: none
    expect(await outbox(id)).toEqual([]);
    await markSucceeded(db.sql, id, {}, { pre_existing: false });
    await finishRevocation(db.sql, id, "FAILED", { code: "AccessDenied" });
    await reopenObligation(db.sql, id, { by: "drift_sweep" });
    await finishRevocation(db.sql, id, "REVOKED", { already_gone: false });
    expect(await outbox(id)).toEqual([
      "request.succeeded",
      "revocation.failed",
      "drift.detected",
      "grant.revoked",
    ]);
  });

  test("FAILED, SKIPPED, DRIFT_MISSING, EXTENDED and EXPIRY_NOTICE", async () => {
    const failed = await newRequest();
    await markFailed(db.sql, failed, { code: "NoSuchEntity" }, "j");
    expect(await outbox(failed)).toEqual(["request.failed"]);
    const skipped = await newRequest();
    await claimForProcessing(db.sql, skipped, "j", 60_000);
    await markSucceeded(db.sql, skipped, {}, {});
    await recordDriftMissing(db.sql, [skipped], { by: "drift_sweep" });
    await db.sql`INSERT INTO request_events (correlation_id, kind, detail) VALUES (${skipped}, 'EXTENDED', '{}')`;
    await db.sql`INSERT INTO request_events (correlation_id, kind, detail) VALUES (${skipped}, 'EXPIRY_NOTICE', '{}')`;
    await finishRevocation(db.sql, skipped, "SKIPPED", { reason: "access existed before the grant" });
    expect(await outbox(skipped)).toEqual([
      "request.succeeded",
      "drift.detected",
      "grant.extended",
      "grant.expiring",
      "grant.revoked",
    ]);
  });

  test("the outbox row commits or rolls back with the change", async () => {
    const id = await newRequest();
    await claimForProcessing(db.sql, id, "j", 60_000);
    await db.sql
      .begin(async (tx) => {
        await markSucceeded(tx, id, {}, {});
        expect(await tx`SELECT 1 FROM webhook_outbox WHERE correlation_id = ${id}`).toHaveLength(1);
        throw new Error("roll back");
      })
      .catch(() => {});
    expect(await outbox(id)).toEqual([]);
    expect((await db.sql`SELECT status FROM requests WHERE correlation_id = ${id}`)[0]?.status).toBe(
      "PROCESSING",
    );
  });

  test("the dispatcher freezes the body: the event's own facts, the request's state", async () => {
    const id = await newRequest();
    await claimForProcessing(db.sql, id, "j", 60_000);
    await markSucceeded(db.sql, id, {}, { pre_existing: false });
    const seen: string[] = [];
    await dispatchOutbox(db.sql, {
      limit: 100,
      queueLeaseMs: 1000,
      endpointsOf: (row) => {
        seen.push(`${row.client}:${row.event_type}`);
        return [];
      },
    });
    expect(seen).toContain("tester:request.succeeded");
    const [row] = await db.sql<
      { payload: { type: string; data: Record<string, unknown> }; dispatched_at: Date }[]
    >`
      SELECT payload, dispatched_at FROM webhook_outbox WHERE correlation_id = ${id}`;
    expect(row?.dispatched_at).toBeInstanceOf(Date);
    expect(row?.payload.type).toBe("request.succeeded");
    expect(row?.payload.data).toMatchObject({
      correlation_id: id,
      event: "STATUS",
      status: "SUCCESS",
      client: "tester",
      ticket: "CHG-1",
      detail: { pre_existing: false },
    });
    // Dispatched once: a second pass finds nothing.
    expect(
      (await dispatchOutbox(db.sql, { limit: 100, queueLeaseMs: 1000, endpointsOf: () => [] })).events,
    ).toBe(0);
  });
});
