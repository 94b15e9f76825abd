import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DependencyUnavailableError } from "../../lib/errors/http-errors.ts";
import { REVOCATION_SCHEDULE_KEY } from "../../lib/queue/keys.ts";
import { createRedis } from "../../lib/redis/connect.ts";
import { type EarlyRevokeDeps, revokeEarly } from "../../lib/requests/early-revoke.ts";
import { captureLog } from "../fixtures/queue-support.ts";
import { auth, createTestApi, samples, type TestApi } from "../helpers/api.ts";
import { testEnv } from "../helpers/env.ts";

// POST /api/v1/requests/{id}/revoke: what each kind of request hears, what is scheduled, and the
// faults around it (Redis down before the read, the row changing under the statement's lock).
// Grants are put in the states the worker leaves them in, through SQL: no cloud here.
let api: TestApi;

beforeAll(async () => {
  api = await createTestApi();
});
afterAll(async () => {
  await api.close();
});

const revoke = (id: string) =>
  Promise.resolve(api.app.request(`/api/v1/requests/${id}/revoke`, { method: "POST", headers: auth() }));
const detail = async (r: Response) => ((await r.json()) as { detail: string }).detail;
const row = async (id: string) =>
  (await api.db.sql<Record<string, unknown>[]>`SELECT * FROM requests WHERE correlation_id = ${id}`)[0];
const endOf = async (id: string): Promise<number | null> =>
  ((await row(id))?.revoke_at as Date | null | undefined)?.getTime() ?? null;
const scheduled = async (id: string): Promise<number | undefined> => {
  const members = await api.r.redis.zrange(REVOCATION_SCHEDULE_KEY, "0", "-1", "WITHSCORES");
  for (let i = 0; i + 1 < members.length; i += 2) {
    if ((JSON.parse(members[i] ?? "{}") as { correlation_id?: string }).correlation_id === id)
      return Number(members[i + 1]);
  }
  return undefined;
};
const revokeEvents = async (id: string) =>
  (
    await api.db.sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM request_events WHERE correlation_id = ${id} AND kind = 'REVOKE_REQUESTED'`
  )[0]?.n;

async function submitted(body: unknown = samples.awsManaged()): Promise<string> {
  const res = await api.post(body);
  expect(res.status).toBe(202);
  return ((await res.json()) as { correlation_id: string }).correlation_id;
}
/** A grant as the worker leaves it after SUCCESS: applied, its revocation scheduled an hour on. */
async function active(): Promise<string> {
  const id = await submitted();
  await api.db.sql`
    UPDATE requests SET status = 'SUCCESS', pre_existing = false, revocation_status = 'SCHEDULED',
           revoke_at = now() + interval '1 hour'
    WHERE correlation_id = ${id}`;
  return id;
}

async function until(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

describe("early revoke: what each request hears", () => {
  test("an active grant: 202, its end moves to now, and its revocation is scheduled now", async () => {
    const id = await active();
    const before = Date.now();
    const r = await revoke(id);
    expect(r.status).toBe(202);
    const end = (await endOf(id)) ?? Number.NaN;
    expect(end).toBeLessThanOrEqual(Date.now() + 1000);
    expect(end).toBeGreaterThan(before - 5000);
    expect(await scheduled(id)).toBe(end);
  });

  test("a grant not yet applied: 202, its end moves to now, and nothing is scheduled (the worker refuses it as expired)", async () => {
    const id = await submitted();
    const r = await revoke(id);
    expect(r.status).toBe(202);
    expect(((await row(id))?.revoke_at as Date | null)?.getTime() ?? 0).toBeLessThanOrEqual(
      Date.now() + 1000,
    );
    expect(await scheduled(id)).toBeUndefined();
    expect(await revokeEvents(id)).toBe(1);
  });

  test("a revoke request is not a grant: 409, nothing recorded", async () => {
    const id = await submitted({ ...samples.awsManaged(), action: "revoke", duration: undefined });
    const r = await revoke(id);
    expect(r.status).toBe(409);
    expect(await detail(r)).toBe("only a grant can be revoked early");
    expect(await revokeEvents(id)).toBe(0);
  });

  test("an ended grant: 409 naming its state; one that failed with no obligation says revocation none", async () => {
    const revoked = await active();
    await api.db.sql`UPDATE requests SET revocation_status = 'REVOKED' WHERE correlation_id = ${revoked}`;
    const r = await revoke(revoked);
    expect(r.status).toBe(409);
    expect(await detail(r)).toBe("the grant is not active (status SUCCESS, revocation REVOKED)");
    const failed = await submitted();
    await api.db.sql`UPDATE requests SET status = 'FAILED' WHERE correlation_id = ${failed}`;
    const f = await revoke(failed);
    expect(f.status).toBe(409);
    expect(await detail(f)).toBe("the grant is not active (status FAILED, revocation none)");
    expect(await revokeEvents(revoked)).toBe(0);
    expect(await revokeEvents(failed)).toBe(0);
  });

  test("deleted between the read and the locked statement: 404, as for an unknown id", async () => {
    const id = await active();
    let pending: Promise<Response> | undefined;
    await api.db.sql.begin(async (tx) => {
      await tx`SELECT 1 FROM requests WHERE correlation_id = ${id} FOR UPDATE`;
      pending = revoke(id);
      await until("the revoke to wait on the row lock", async () => {
        const [w] = await api.db.sql<{ n: number }[]>`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`;
        return (w?.n ?? 0) > 0;
      });
      await tx`DELETE FROM requests WHERE correlation_id = ${id}`;
    });
    const r = await (pending as Promise<Response>);
    expect(r.status).toBe(404);
    expect(await detail(r)).toBe(`no request ${id}`);
  });
});

describe("early revoke: Redis faults", () => {
  const deps = (over: Partial<EarlyRevokeDeps>): EarlyRevokeDeps => ({
    sql: api.db.sql,
    redis: api.r.redis,
    log: captureLog().log,
    policy: null,
    now: () => new Date(),
    dbTimeoutMs: 2000,
    redisTimeoutMs: 300,
    ...over,
  });
  const caller = { name: "tester", role: "submitter" as const };

  test("Redis not ready: 503 before anything is read or written", async () => {
    const id = await active();
    const end = await endOf(id);
    const down = createRedis(testEnv().redisUrl, { keyPrefix: api.r.prefix });
    down.disconnect();
    const err = await revokeEarly(deps({ redis: down }), id, caller).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect((err as DependencyUnavailableError).dependency).toBe("redis");
    expect(await endOf(id)).toBe(end);
    expect(await revokeEvents(id)).toBe(0);
  });
});
