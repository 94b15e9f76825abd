import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestApi, samples, type TestApi } from "../../tests/helpers/api.ts";
import {
  claimForProcessing,
  decideOwnership,
  endGrantsOfAccess,
  json,
  lockAccess,
  markFailed,
  markSucceeded,
  ownCorrelationIds,
  recordRetry,
  releaseLease,
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

  test("own ids are read only when asked for", async () => {
    const id = await row("status = 'PENDING'");
    expect((await claimForProcessing(api.db.sql, id, "chain-a", 5000))?.own_ids).toBeNull();
    const again = await claimForProcessing(api.db.sql, id, "chain-a", 5000, true);
    expect(Array.isArray(again?.own_ids)).toBe(true);
  });

  test("no decision is taken for a row that is no longer PROCESSING, and no read is asked for", async () => {
    const id = await row("status = 'SUCCESS', completed_at = now()");
    const accessKey = `aws:user/final-${crypto.randomUUID()}:policy:x`;
    const d = await decideOwnership(api.db.sql, { id, accessKey, resolved: {}, present: false, sinceMs: 0 });
    expect(d).toEqual({ recorded: null, needRead: false });
  });

  test("a lease is released only by the chain holding it", async () => {
    const id = await row(
      "status = 'PROCESSING', lease_job = 'chain-a', lease_until = now() + interval '1 minute'",
    );
    await releaseLease(api.db.sql, id, "chain-b");
    expect((await snapshot(id))?.lease_job).toBe("chain-a");
    await releaseLease(api.db.sql, id, "chain-a");
    const [r] = await api.db.sql`SELECT lease_job, lease_until FROM requests WHERE correlation_id = ${id}`;
    expect(r).toEqual({ lease_job: null, lease_until: null });
  });

  test("lockAccess holds the access's advisory lock until the transaction ends", async () => {
    const accessKey = `aws:user/lock-${crypto.randomUUID()}:policy:x`;
    const tryLock = async () =>
      (await api.db.sql`SELECT pg_try_advisory_lock(hashtextextended(${accessKey}, 0)) AS got`)[0]
        ?.got as boolean;
    await api.db.sql.begin(async (tx) => {
      await lockAccess(tx, accessKey);
      // Another session cannot take it while this transaction is open.
      expect(await tryLock()).toBe(false);
    });
    expect(await tryLock()).toBe(true);
    await api.db.sql`SELECT pg_advisory_unlock_all()`;
  });

  test("json() keeps SQL NULL for null", () => {
    expect(json(api.db.sql, null)).toBeNull();
  });

  test("own ids of an access are the requests of ours on it, not pre-existing ones or other accesses", async () => {
    const accessKey = `aws:user/own-${crypto.randomUUID()}:policy:x`;
    const ours = await row("status = 'SUCCESS', pre_existing = false");
    const pre = await row("status = 'SUCCESS', pre_existing = true");
    await row("status = 'SUCCESS', pre_existing = false");
    await api.db.sql`UPDATE requests SET access_key = ${accessKey} WHERE correlation_id IN (${ours}, ${pre})`;
    expect(await ownCorrelationIds(api.db.sql, accessKey)).toEqual([ours]);
  });

  test("a revoke request ends every grant of the access: finished ones REVOKED, unfinished ones due now", async () => {
    const accessKey = `aws:user/end-${crypto.randomUUID()}:policy:x`;
    const done = await row("status = 'SUCCESS', pre_existing = false, revocation_status = 'SCHEDULED'");
    const inFlight = await row("status = 'PROCESSING', revoke_at = now() + interval '1 hour'");
    const elsewhere = await row("status = 'SUCCESS', pre_existing = false, revocation_status = 'SCHEDULED'");
    const revoker = await row("status = 'PROCESSING'");
    await api.db
      .sql`UPDATE requests SET access_key = ${accessKey} WHERE correlation_id IN (${done}, ${inFlight})`;
    await api.db.sql`UPDATE requests SET action = 'revoke' WHERE correlation_id = ${revoker}`;
    const [{ client }] = (await api.db
      .sql`SELECT client FROM requests WHERE correlation_id = ${revoker}`) as unknown as [{ client: string }];

    expect(await endGrantsOfAccess(api.db.sql, accessKey, revoker)).toEqual([done]);

    const state = async (id: string) =>
      (
        await api.db.sql`SELECT status, revocation_status, revoked_at IS NOT NULL AS revoked, ended_by,
                                revoke_at <= now() AS due FROM requests WHERE correlation_id = ${id}`
      )[0];
    const endedBy = { how: "revoke_request", request: revoker, client };
    expect(await state(done)).toMatchObject({
      revocation_status: "REVOKED",
      revoked: true,
      due: true,
      ended_by: endedBy,
    });
    expect(await state(inFlight)).toMatchObject({
      status: "PROCESSING",
      revoked: false,
      due: true,
      ended_by: endedBy,
    });
    expect(await state(elsewhere)).toMatchObject({
      revocation_status: "SCHEDULED",
      revoked: false,
      ended_by: null,
    });
    const [ev] = await api.db.sql`SELECT from_status, to_status, detail FROM request_events
                                  WHERE correlation_id = ${done} AND kind = 'REVOCATION'`;
    expect(ev).toEqual({ from_status: "SCHEDULED", to_status: "REVOKED", detail: { revoked_by: revoker } });
  });
});
