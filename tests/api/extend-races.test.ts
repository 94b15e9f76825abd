import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { DependencyUnavailableError } from "../../lib/errors/http-errors.ts";
import { parsePolicyText } from "../../lib/policy/load.ts";
import { createRedis } from "../../lib/redis/connect.ts";
import { type ExtendDeps, extendGrant } from "../../lib/requests/extend-grant.ts";
import { captureLog } from "../fixtures/queue-support.ts";
import { awsGrant, startWorkerHarness, type WorkerHarness } from "../fixtures/worker-harness.ts";
import { auth } from "../helpers/api.ts";
import { testEnv } from "../helpers/env.ts";
import { startTcpProxy } from "../helpers/tcp-proxy.ts";

// An extension under faults: the grant changing between the API's read and the locked statement
// (each refusal the locked statement can give), Redis down before anything is read, and Redis
// failing after the commit. Real PostgreSQL, Redis and cloudsim grants (tests/api/extend.test.ts
// has the plain cases).
setDefaultTimeout(30_000);

const POLICY = `
clients:
  tester:
    providers: [aws]
    aws: { policy_arns: ["**"] }
`;
const ARN = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
const HOUR = 3_600_000;
let h: WorkerHarness;
const USERS = [
  "race-gone",
  "race-action",
  "race-ended",
  "race-leased",
  "race-moved",
  "race-none",
  "ended-earlier",
  "failed-owing",
  "no-end",
  "too-far",
  "redis-down",
  "redis-after",
];

beforeAll(async () => {
  h = await startWorkerHarness({ policy: parsePolicyText(POLICY, "yaml", "extend-races.yaml") });
  // One IAM user per test, so that no two grants here share an access (and its lock).
  for (const u of USERS) h.cloud.aws.seedUser(u);
});
afterAll(async () => {
  await h.close();
});

const extend = (id: string, body: unknown) =>
  Promise.resolve(
    h.api.app.request(`/api/v1/requests/${id}/extend`, {
      method: "POST",
      headers: { ...auth(), "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
const detail = async (r: Response) => ((await r.json()) as { detail: string }).detail;
const extendedEvents = async (id: string) => (await h.events(id)).filter((e) => e === "EXTENDED").length;

async function granted(user: string): Promise<{ id: string; end: number; accessKey: string }> {
  const { id, job } = await h.submit(awsGrant(user, ARN, "PT1H"));
  await h.run(job);
  const row = await h.row(id);
  expect(row.status).toBe("SUCCESS");
  return { id, end: (row.revoke_at as Date).getTime(), accessKey: row.access_key as string };
}

async function until(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

/**
 * Holds the grant's access lock, sends the extension, waits until it queues behind the lock (it
 * has read the grant by then), applies `change` inside the lock and releases it: the locked
 * statement sees a grant that changed after the API's checks.
 */
async function extendWhileChanging(
  grant: { id: string; accessKey: string },
  change: (sql: typeof h.api.db.sql) => Promise<unknown>,
): Promise<Response> {
  let pending: Promise<Response> | undefined;
  await h.api.db.sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(hashtextextended(${grant.accessKey}, 0))`;
    pending = extend(grant.id, { duration: "PT1H" });
    await until("the extension to wait on the access lock", async () => {
      const [w] = await h.api.db.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pg_locks
        WHERE locktype = 'advisory' AND NOT granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;
      return (w?.n ?? 0) > 0;
    });
    await change(tx as unknown as typeof h.api.db.sql);
  });
  return await (pending as Promise<Response>);
}

describe("extend: the grant changes between the read and the locked statement", () => {
  test("deleted meanwhile: 404, as for an unknown id", async () => {
    const g = await granted("race-gone");
    const r = await extendWhileChanging(g, (tx) => tx`DELETE FROM requests WHERE correlation_id = ${g.id}`);
    expect(r.status).toBe(404);
    expect(await detail(r)).toBe(`no request ${g.id}`);
  });

  test("no longer a grant: 409, nothing moved", async () => {
    const g = await granted("race-action");
    const r = await extendWhileChanging(
      g,
      (tx) => tx`UPDATE requests SET action = 'revoke' WHERE correlation_id = ${g.id}`,
    );
    expect(r.status).toBe(409);
    expect(await detail(r)).toBe("only a grant can be extended");
    expect(((await h.row(g.id)).revoke_at as Date).getTime()).toBe(g.end);
    expect(await extendedEvents(g.id)).toBe(0);
  });

  test("its revocation ended meanwhile: 409 naming the state it is in now", async () => {
    const g = await granted("race-ended");
    const r = await extendWhileChanging(
      g,
      (tx) => tx`UPDATE requests SET revocation_status = 'REVOKED' WHERE correlation_id = ${g.id}`,
    );
    expect(r.status).toBe(409);
    expect(await detail(r)).toBe("only an active grant can be extended (status SUCCESS, revocation REVOKED)");
    expect(await extendedEvents(g.id)).toBe(0);
  });

  test("a revocation chain took its lease meanwhile: 409 in progress, the end stays", async () => {
    const g = await granted("race-leased");
    const r = await extendWhileChanging(
      g,
      (tx) => tx`UPDATE requests SET lease_job = 'r-racing', lease_until = now() + interval '1 minute'
                 WHERE correlation_id = ${g.id}`,
    );
    expect(r.status).toBe(409);
    expect(await detail(r)).toBe("the grant's revocation is in progress; it can no longer be extended");
    expect(((await h.row(g.id)).revoke_at as Date).getTime()).toBe(g.end);
    expect(await extendedEvents(g.id)).toBe(0);
  });

  test("another extension moved its end meanwhile: 409 changed, that other end stays", async () => {
    const g = await granted("race-moved");
    const other = new Date(g.end + 2 * HOUR);
    const r = await extendWhileChanging(
      g,
      (tx) =>
        tx`UPDATE requests SET revoke_at = ${other}, expires_at = ${other} WHERE correlation_id = ${g.id}`,
    );
    expect(r.status).toBe(409);
    expect(await detail(r)).toBe("the grant's end changed meanwhile; read it again and retry");
    expect(((await h.row(g.id)).revoke_at as Date).getTime()).toBe(other.getTime());
    expect(await extendedEvents(g.id)).toBe(0);
  });

  test("an unchanged grant behind the same lock is extended: the race tests are not refusing everything", async () => {
    const g = await granted("race-none");
    const r = await extendWhileChanging(g, async () => undefined);
    expect(r.status).toBe(200);
    expect(((await h.row(g.id)).revoke_at as Date).getTime()).toBe(g.end + HOUR);
  });
});

describe("extend: which refusal a grant that is not active hears", () => {
  test("an ended grant asked for an earlier end hears 409 not active, not 422 about the end", async () => {
    const g = await granted("ended-earlier");
    await h.api.db.sql`UPDATE requests SET revocation_status = 'REVOKED' WHERE correlation_id = ${g.id}`;
    const r = await extend(g.id, { expires_at: new Date(g.end - HOUR).toISOString() });
    expect(r.status).toBe(409);
    expect(await detail(r)).toBe("only an active grant can be extended (status SUCCESS, revocation REVOKED)");
  });

  test("a FAILED grant still owing its compensating revoke, asked for an earlier end: 409, not 422", async () => {
    const g = await granted("failed-owing");
    // What a lost reply leaves: FAILED, but the access may be there, so the obligation stays.
    await h.api.db.sql`UPDATE requests SET status = 'FAILED' WHERE correlation_id = ${g.id}`;
    const r = await extend(g.id, { expires_at: new Date(g.end - HOUR).toISOString() });
    expect(r.status).toBe(409);
    expect(await detail(r)).toBe(
      "only an active grant can be extended (status FAILED, revocation SCHEDULED)",
    );
  });

  test("a grant still PENDING (no end, no obligation yet): 409 with revocation none", async () => {
    const { id } = await h.submit(awsGrant("still-pending", ARN, "PT1H"));
    const r = await extend(id, { duration: "PT1H" });
    expect(r.status).toBe(409);
    expect(await detail(r)).toBe("only an active grant can be extended (status PENDING, revocation none)");
  });

  test("a FAILED grant whose access was never applied (no end): 409, not a 500", async () => {
    const { id } = await h.submit(awsGrant("failed-grant", ARN, "PT1H"));
    await h.api.db.sql`UPDATE requests SET status = 'FAILED', revoke_at = NULL, revocation_status = NULL
                       WHERE correlation_id = ${id}`;
    const r = await extend(id, { duration: "PT1H" });
    expect(r.status).toBe(409);
    expect(await detail(r)).toBe("only an active grant can be extended (status FAILED, revocation none)");
  });

  test("a revocation SCHEDULED with no end recorded is refused 409 too (the end is what moves)", async () => {
    const g = await granted("no-end");
    await h.api.db.sql`UPDATE requests SET revoke_at = NULL WHERE correlation_id = ${g.id}`;
    const r = await extend(g.id, { duration: "PT1H" });
    expect(r.status).toBe(409);
    expect(await detail(r)).toBe(
      "only an active grant can be extended (status SUCCESS, revocation SCHEDULED)",
    );
  });

  test("a duration past the last instant a date can hold: 422 at /duration, nothing moves", async () => {
    const g = await granted("too-far");
    const r = await extend(g.id, { duration: "PT99999999999999H" });
    expect(r.status).toBe(422);
    const problem = (await r.json()) as { errors: { pointer: string }[] };
    expect(problem.errors.map((e) => e.pointer)).toEqual(["/duration"]);
    expect(((await h.row(g.id)).revoke_at as Date).getTime()).toBe(g.end);
  });
});

describe("extend: Redis faults", () => {
  const deps = (over: Partial<ExtendDeps>): ExtendDeps => ({
    sql: h.api.db.sql,
    redis: h.api.r.redis,
    log: captureLog().log,
    policy: null,
    maxGrantDurationMs: 24 * HOUR,
    dbTimeoutMs: 2000,
    redisTimeoutMs: 300,
    ...over,
  });
  const caller = { name: "tester", role: "submitter" as const };

  test("Redis not ready: 503 before anything is read or written", async () => {
    const g = await granted("redis-down");
    const down = createRedis(testEnv().redisUrl, { keyPrefix: h.api.r.prefix });
    down.disconnect(); // what the API's connection is while Redis is down: not ready
    try {
      expect(down.status).not.toBe("ready");
      const err = await extendGrant(deps({ redis: down }), g.id, caller, { duration: "PT1H" }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DependencyUnavailableError);
      expect((err as DependencyUnavailableError).dependency).toBe("redis");
    } finally {
      down.disconnect();
    }
    expect(((await h.row(g.id)).revoke_at as Date).getTime()).toBe(g.end);
    expect(await extendedEvents(g.id)).toBe(0);
  });

  test("Redis fails after the commit: still 200, the end moved, and the operator is told why the job will move itself", async () => {
    const g = await granted("redis-after");
    const port = Number(new URL(testEnv().redisUrl).port || 6379);
    const proxy = await startTcpProxy(port);
    const viaProxy = createRedis(`redis://127.0.0.1:${proxy.port}`, { keyPrefix: h.api.r.prefix });
    const captured = captureLog();
    try {
      await until("the proxied connection", async () => viaProxy.status === "ready");
      proxy.holdReplies(); // ready, but no command ever answers: the scheduling times out
      const out = await extendGrant(deps({ redis: viaProxy, log: captured.log }), g.id, caller, {
        duration: "PT1H",
      });
      expect(out.expires_at).toBe(new Date(g.end + HOUR).toISOString());
    } finally {
      viaProxy.disconnect();
      proxy.stop();
    }
    expect(((await h.row(g.id)).revoke_at as Date).getTime()).toBe(g.end + HOUR);
    expect(await extendedEvents(g.id)).toBe(1);
    // The proxy swallows replies, not requests: the ZADD reached Redis, only its answer was lost.
    expect((await h.scheduledRevocation(g.id))?.dueMs).toBe(g.end + HOUR);
    const warned = captured.lines().find((l) => l.level === "warn" && l.correlation_id === g.id);
    expect(warned?.msg).toBe("extension recorded; the revocation job will find the new end and move itself");
  });
});
