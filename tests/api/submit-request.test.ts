import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { TransactionSql } from "postgres";
import { DependencyUnavailableError } from "../../lib/errors/http-errors.ts";
import { createRedis } from "../../lib/redis/connect.ts";
import { type SubmitDeps, submitRequest } from "../../lib/requests/submit-request.ts";
import { parseRequestPayload } from "../../lib/schemas/request.ts";
import { captureLog, waitFor } from "../fixtures/queue-support.ts";
import { createTestApi, samples, type TestApi, writtenState } from "../helpers/api.ts";
import { testEnv } from "../helpers/env.ts";
import { startTcpProxy } from "../helpers/tcp-proxy.ts";

// The write path of POST /api/v1/requests called directly with its dependencies: which clock a
// stored expiry comes from, and Redis known to be down before anything is written.
let api: TestApi;
const HOUR = 3_600_000;

beforeAll(async () => {
  api = await createTestApi();
});
afterAll(async () => {
  await api.close();
});

const deps = (over: Partial<SubmitDeps> = {}): SubmitDeps => ({
  sql: api.db.sql,
  redis: api.r.redis,
  log: captureLog().log,
  now: () => new Date(),
  dbTimeoutMs: 2000,
  redisTimeoutMs: 1000,
  ...over,
});

function parsed(body: unknown, now: Date) {
  const p = parseRequestPayload(body, { now, maxDurationMs: 30 * 24 * HOUR });
  if (!p.ok) throw new Error(`sample refused: ${JSON.stringify(p.issues)}`);
  return p.value;
}
const expiresAt = async (id: string) =>
  (
    await api.db.sql<{ expires_at: Date }[]>`SELECT expires_at FROM requests WHERE correlation_id = ${id}`
  )[0]?.expires_at.getTime();

describe("submitRequest", () => {
  test("a duration is counted on the database clock, not the validating one", async () => {
    // The API host's clock is a day behind: its own idea of the expiry is in the past.
    const skewed = new Date(Date.now() - 24 * HOUR);
    const { correlationId } = await submitRequest(
      deps(),
      "tester",
      parsed({ ...samples.awsManaged(), duration: "PT2H" }, skewed),
      null,
    );
    const [{ now }] = (await api.db.sql`SELECT now() AS now`) as unknown as [{ now: Date }];
    const stored = (await expiresAt(correlationId)) ?? 0;
    expect(Math.abs(stored - (now.getTime() + 2 * HOUR))).toBeLessThan(60_000);
  });

  test("an instant is stored as given", async () => {
    const at = new Date(Date.now() + 5 * HOUR);
    at.setMilliseconds(0);
    const { duration: _, ...noDuration } = samples.awsManaged();
    const { correlationId } = await submitRequest(
      deps(),
      "tester",
      parsed({ ...noDuration, expires_at: at.toISOString() }, new Date()),
      null,
    );
    expect(await expiresAt(correlationId)).toBe(at.getTime());
  });

  test("Redis known to be down: 503 before anything is written", async () => {
    const down = createRedis(testEnv().redisUrl, { keyPrefix: api.r.prefix });
    down.disconnect();
    const before = await writtenState(api);
    const err = await submitRequest(
      deps({ redis: down }),
      "tester",
      parsed(samples.awsManaged(), new Date()),
      null,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect((err as DependencyUnavailableError).dependency).toBe("redis");
    expect(await writtenState(api)).toEqual(before);
  });
});

// The push's answer is lost (the proxy swallows Redis' replies) and the undo of the insert cannot
// finish in time: a transaction of the test holds the row's lock, as a slow or stuck PostgreSQL
// session would. Whatever the API answers must stay true after the lock is gone.
describe("submitRequest, when the undo of the insert is stuck", () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });
  // The pool's statement_timeout (3 s, lib/db/connect.ts) would also end a waiting undo in the
  // end; the undo's own timeout here is short enough that the lock is released well before.
  const run = async (
    dbTimeoutMs: number,
    ticket: string,
    whileStuck: (tx: TransactionSql, id: string) => Promise<void>,
  ) => {
    const proxy = await startTcpProxy(Number(new URL(api.r.url).port || 6379));
    const proxied = createRedis(`redis://127.0.0.1:${proxy.port}`, { keyPrefix: api.r.prefix });
    // Closed after the test, not when this returns: the push must wait out its 3 s.
    cleanups.push(() => {
      proxy.stop();
      proxied.disconnect();
    });
    {
      await waitFor(() => proxied.status === "ready", "proxied redis");
      proxy.holdReplies();
      const captured = captureLog("warn");
      const submitting = submitRequest(
        deps({ redis: proxied, log: captured.log, redisTimeoutMs: 3000, dbTimeoutMs }),
        "tester",
        parsed({ ...samples.awsManaged(), ticket }, new Date()),
        null,
      ).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      let id = "";
      await waitFor(async () => {
        const [row] = await api.db.sql<{ correlation_id: string }[]>`
          SELECT correlation_id FROM requests WHERE ticket = ${ticket}`;
        id = row?.correlation_id ?? "";
        return id !== "";
      }, "the inserted row");
      let unlock = () => {};
      const gate = new Promise<void>((r) => {
        unlock = r;
      });
      let locked = false;
      const locker = api.db.sql.begin(async (tx) => {
        // The row is still there: the undo has not run before the lock.
        expect(await tx`SELECT 1 FROM requests WHERE correlation_id = ${id} FOR UPDATE`).toHaveLength(1);
        locked = true;
        await gate;
        await whileStuck(tx, id);
      });
      await waitFor(() => locked, "the row locked");
      // The lock was taken while the API still waited for the push (3 s): the undo queues behind it.
      expect(
        await Promise.race([submitting.then(() => "answered"), Bun.sleep(0).then(() => "waiting")]),
      ).toBe("waiting");
      return { submitting, unlock, locker, id, captured };
    }
  };
  const lockWaiters = async () =>
    Number(
      (
        await api.db.sql<{ n: number }[]>`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`
      )[0]?.n,
    );
  const busy = async () =>
    Number(
      (
        await api.db.sql<{ n: number }[]>`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`
      )[0]?.n,
    );

  test("the fence counts from the insert: after a long wait for the push, an undo that is not stuck still removes the row", async () => {
    // The push waits 3 s, longer than the undo's own 1 s: a fence counted from the wrong end
    // would already have passed, and the row would stay behind a 503.
    const { submitting, unlock, locker, id } = await run(1000, "UNDO-SLOW-PUSH", async () => {});
    unlock();
    await locker; // released before the undo starts: it is not stuck
    const outcome = await submitting;
    expect("error" in outcome && outcome.error).toBeInstanceOf(DependencyUnavailableError);
    const [row] = await api.db.sql`SELECT 1 FROM requests WHERE correlation_id = ${id}`;
    expect(row).toBeUndefined();
  });

  test("an undo the API stopped waiting for cannot land later: the row stands, 202, and the request will happen", async () => {
    const { submitting, unlock, locker, id } = await run(500, "UNDO-LATE", async () => {});
    // Both the undo and the second look reached PostgreSQL and wait there (not in the pool).
    await waitFor(async () => (await lockWaiters()) === 2, "the undo and the second look waiting");
    const outcome = await submitting;
    expect(outcome).toEqual({ value: { correlationId: id, replayed: false, status: "PENDING" } });
    unlock();
    await locker;
    // The undo's transaction now gets the lock, finds its fence passed, and removes nothing.
    await waitFor(async () => (await busy()) === 0, "the late undo finished");
    const [row] = await api.db.sql<
      { status: string }[]
    >`SELECT status FROM requests WHERE correlation_id = ${id}`;
    expect(row?.status).toBe("PENDING");
  });

  test("an undo whose answer is lost is looked up again: the row is gone, so 503, nothing happened", async () => {
    const { submitting, unlock, locker, id, captured } = await run(1500, "UNDO-LOST", async (tx, rowId) => {
      // Stands in for the API's own DELETE committing with its answer lost.
      await tx`DELETE FROM requests WHERE correlation_id = ${rowId}`;
    });
    // The undo, then the second look, both wait for the lock; release it for the second look.
    await waitFor(async () => (await lockWaiters()) === 2, "the undo and the second look waiting");
    unlock();
    await locker;
    const outcome = await submitting;
    expect("error" in outcome && outcome.error).toBeInstanceOf(DependencyUnavailableError);
    const [row] = await api.db.sql`SELECT 1 FROM requests WHERE correlation_id = ${id}`;
    expect(row).toBeUndefined();
    expect(captured.lines().find((l) => l.msg === "enqueue failed after insert")).toMatchObject({
      correlation_id: id,
      row_removed: true,
    });
  });
});
