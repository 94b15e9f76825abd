import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestApi, samples, type TestApi } from "../../tests/helpers/api.ts";
import {
  claimForProcessing,
  decideOwnership,
  markFailed,
  markSucceeded,
  recordRetry,
} from "./transitions.ts";

// Every status change is conditional: a job delivered twice, or late, changes nothing. Each
// guard is checked here on its own, against a row already past the state it expects.
let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(async () => {
  await api.close();
});

async function row(state: string): Promise<string> {
  const res = await api.post(samples.awsManaged());
  const { correlation_id: id } = (await res.json()) as { correlation_id: string };
  await api.db.sql.unsafe(`UPDATE requests SET ${state} WHERE correlation_id = $1`, [id]);
  return id;
}
const snapshot = async (id: string) =>
  (
    await api.db.sql`SELECT status, attempts, lease_job, revocation_status, completed_at, error_details
                    FROM requests WHERE correlation_id = ${id}`
  )[0];
const events = async (id: string) =>
  (await api.db.sql`SELECT count(*)::int AS n FROM request_events WHERE correlation_id = ${id}`)[0]?.n;

describe("conditional transitions", () => {
  test("a final row is never claimed again: no status, attempt, lease or event changes", async () => {
    for (const status of ["SUCCESS", "FAILED"]) {
      const id = await row(`status = '${status}', completed_at = now()`);
      const [before, n] = [await snapshot(id), await events(id)];
      expect(await claimForProcessing(api.db.sql, id, "late-job", 5000)).toBeUndefined();
      expect(await snapshot(id)).toEqual(before);
      expect(await events(id)).toBe(n);
    }
  });

  test("a row leased to another chain is not claimed; its own chain, or anyone after the lease lapses, may", async () => {
    const id = await row(
      "status = 'PROCESSING', lease_job = 'chain-a', lease_until = now() + interval '1 minute'",
    );
    expect(await claimForProcessing(api.db.sql, id, "chain-b", 5000)).toBeUndefined();
    expect((await claimForProcessing(api.db.sql, id, "chain-a", 5000))?.attempts).toBe(1);
    await api.db
      .sql`UPDATE requests SET lease_until = now() - interval '1 second' WHERE correlation_id = ${id}`;
    expect((await claimForProcessing(api.db.sql, id, "chain-b", 5000))?.lease_job).toBe("chain-b");
  });

  test("SUCCESS and FAILED only from PROCESSING (or PENDING for FAILED), once", async () => {
    const done = await row("status = 'FAILED', completed_at = now()");
    expect(await markSucceeded(api.db.sql, done, {}, {})).toBeUndefined();
    expect((await snapshot(done))?.status).toBe("FAILED");
    const ok = await row("status = 'SUCCESS', completed_at = now()");
    expect(await markFailed(api.db.sql, ok, { code: "late" }, "late-job")).toBeUndefined();
    expect(await snapshot(ok)).toMatchObject({ status: "SUCCESS", error_details: null });
  });

  test("only the chain holding the lease may fail a row: a replaced chain cannot end its successor's work", async () => {
    const id = await row(
      "status = 'PROCESSING', lease_job = 'new-chain', lease_until = now() + interval '1 minute'",
    );
    expect(await markFailed(api.db.sql, id, { code: "Throttling" }, "old-chain")).toBeUndefined();
    expect((await snapshot(id))?.status).toBe("PROCESSING");
    expect((await markFailed(api.db.sql, id, { code: "Throttling" }, "new-chain")) !== undefined).toBe(true);
    expect((await snapshot(id))?.status).toBe("FAILED");
  });

  test("the ownership decision is taken once: a second decision returns the first", async () => {
    const id = await row("status = 'PROCESSING'");
    const [{ access_key: accessKey }] = (await api.db.sql`
      SELECT access_key FROM requests WHERE correlation_id = ${id}`) as unknown as [{ access_key: string }];
    const ask = (present: boolean) =>
      decideOwnership(api.db.sql, { id, accessKey, resolved: {}, present, sinceMs: Date.now() + 60_000 });
    expect(await ask(false)).toEqual({ recorded: false });
    expect(await ask(true)).toEqual({ recorded: false });
    expect((await snapshot(id))?.revocation_status).toBe("SCHEDULED");
  });

  test("the decision: an open obligation of ours answers without a read; a stale read is refused", async () => {
    const accessKey = `aws:user/decision-${crypto.randomUUID()}:policy:x`; // this test's own access
    const mine = await row("status = 'PROCESSING'");
    const other = await row(`status = 'SUCCESS', pre_existing = false, revocation_status = 'REVOKED'`);
    await api.db
      .sql`UPDATE requests SET access_key = ${accessKey} WHERE correlation_id IN (${mine}, ${other})`;
    const before = Date.now() - 60_000;
    // Without a read, nothing of ours open: a read is needed.
    const noRead = await decideOwnership(api.db.sql, {
      id: mine,
      accessKey,
      resolved: {},
      present: null,
      sinceMs: before,
    });
    expect(noRead).toMatchObject({ recorded: null, needRead: true });
    // "Present", but a revocation of ours on this access changed after the read began: read again.
    const stale = await decideOwnership(api.db.sql, {
      id: mine,
      accessKey,
      resolved: {},
      present: true,
      sinceMs: before,
    });
    expect(stale).toMatchObject({ recorded: null, needRead: true });
    // An obligation of ours open on the access: ours, whatever the read says.
    await api.db.sql`UPDATE requests SET revocation_status = 'SCHEDULED' WHERE correlation_id = ${other}`;
    const ours = await decideOwnership(api.db.sql, {
      id: mine,
      accessKey,
      resolved: {},
      present: true,
      sinceMs: before,
    });
    expect(ours).toEqual({ recorded: false });
  });

  test("a retry is recorded only by the chain that holds the lease", async () => {
    const id = await row(
      "status = 'PROCESSING', lease_job = 'chain-a', lease_until = now() + interval '1 minute'",
    );
    expect(await recordRetry(api.db.sql, id, "chain-b", 1000, {})).toBe(false);
    expect(await recordRetry(api.db.sql, id, "chain-a", 1000, {})).toBe(true);
  });
});
