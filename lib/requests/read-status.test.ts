import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { captureLog } from "../../tests/fixtures/queue-support.ts";
import { createTestDatabase, type TestDatabase } from "../../tests/helpers/db.ts";
import { createTestRedis, type TestRedis } from "../../tests/helpers/redis.ts";
import { type SeedRow, seedRequests } from "../../tests/helpers/seed-requests.ts";
import type { Caller } from "../auth/authorize.ts";
import type { CacheTtl } from "../cache/status-cache.ts";
import { createSql, type Sql } from "../db/connect.ts";
import { DependencyUnavailableError, NotFoundError } from "../errors/http-errors.ts";
import { createRedis, type Redis } from "../redis/connect.ts";
import { type ReadDeps, readStatus } from "./read-status.ts";

// readStatus against a real PostgreSQL and Redis: cache-aside, ownership on a HIT, the replica's
// short TTL, the access log of non-owner reads, and a Redis outage read as a bypass.
let db: TestDatabase;
let replicaDb: TestDatabase;
let r: TestRedis;
let downRedis: Redis;
let deadSql: Sql;
const captured = captureLog("info");
const log = captured.log;
const TTL: CacheTtl = { settledSeconds: 600, movingSeconds: 5 };
const owner: Caller = { name: "tester", role: "submitter" };
const stranger: Caller = { name: "other", role: "submitter" };
const operator: Caller = { name: "ops", role: "operator" };
const settled: SeedRow = {
  status: "SUCCESS",
  expiresAt: -60_000,
  revocationStatus: "REVOKED",
  revokedAt: -1000,
};

beforeAll(async () => {
  db = await createTestDatabase();
  replicaDb = await createTestDatabase();
  r = await createTestRedis();
  downRedis = createRedis(r.url);
  downRedis.disconnect(); // a connection that is not ready: Redis is down for this reader
  deadSql = createSql("postgres://postgres@127.0.0.1:1/none", { max: 1, timeoutMs: 1000 });
});
afterAll(async () => {
  await deadSql.end({ timeout: 1 });
  await r.cleanup();
  await replicaDb.drop();
  await db.drop();
});

const deps = (over: Partial<ReadDeps> = {}): ReadDeps => ({
  sql: db.sql,
  redis: r.redis,
  log,
  cacheTtl: TTL,
  dbTimeoutMs: 2000,
  redisTimeoutMs: 1000,
  ...over,
});
const warnings = () => captured.lines().filter((l) => l.level === "warn");
const accessRows = async (id: string) => [
  ...(await db.sql<{ client: string; role: string; action: string; correlation_id: string }[]>`
    SELECT client, role, action, correlation_id FROM access_log WHERE correlation_id = ${id} ORDER BY id`),
];
const seed = async (row: SeedRow = {}, sql = db.sql) => {
  const [id] = await seedRequests(sql, [row]);
  if (!id) throw new Error("seed returned no id");
  return id;
};
const rejection = async (p: Promise<unknown>): Promise<unknown> => {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
};

describe("readStatus: cache-aside", () => {
  test("a miss reads PostgreSQL and caches the view; the next read is a HIT served from Redis", async () => {
    const id = await seed({ ...settled });
    captured.clear();
    const first = await readStatus(deps(), id, owner);
    expect(first.cache).toBe("MISS");
    expect(first.view.correlation_id).toBe(id);
    expect(first.view.status).toBe("SUCCESS");
    expect(await r.redis.exists(id)).toBe(1);
    // Changed behind the cache's back: a HIT still answers what was cached.
    await db.sql`UPDATE requests SET status = 'FAILED' WHERE correlation_id = ${id}`;
    const second = await readStatus(deps(), id, owner);
    expect(second).toEqual({ view: first.view, cache: "HIT" });
    expect(warnings()).toEqual([]);
    expect(await accessRows(id)).toEqual([]); // the owner's reads are not access-logged
  });

  test("a settled view is cached for the settled TTL, a moving one for the short one", async () => {
    const done = await seed({ ...settled });
    const moving = await seed({ status: "PENDING" });
    await readStatus(deps(), done, owner);
    await readStatus(deps(), moving, owner);
    expect(await r.redis.ttl(done)).toBeGreaterThan(TTL.movingSeconds);
    expect(await r.redis.ttl(done)).toBeLessThanOrEqual(TTL.settledSeconds);
    expect(await r.redis.ttl(moving)).toBeGreaterThan(0);
    expect(await r.redis.ttl(moving)).toBeLessThanOrEqual(TTL.movingSeconds);
  });

  test("a cached request of another client is not served to a submitter: 404 as for an unknown id", async () => {
    const id = await seed({ ...settled });
    const seen = await readStatus(deps(), id, operator);
    expect(seen.view.client).toBe("tester");
    expect(await r.redis.exists(id)).toBe(1);
    const err = await rejection(readStatus(deps(), id, stranger));
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).message).toBe(`no request ${id}`);
  });

  test("an unknown id is a NotFoundError and caches nothing", async () => {
    const id = crypto.randomUUID();
    const err = await rejection(readStatus(deps(), id, owner));
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).message).toBe(`no request ${id}`);
    expect(await r.redis.exists(id)).toBe(0);
  });

  test("a cache entry Redis cannot read is a miss: PostgreSQL answers, a warning is logged, the fill repairs it", async () => {
    const id = await seed({ ...settled });
    await r.redis.lpush(id, "not a status"); // GET on a list: WRONGTYPE
    captured.clear();
    const first = await readStatus(deps(), id, owner);
    expect(first.cache).toBe("MISS");
    expect(first.view.correlation_id).toBe(id);
    expect(warnings().length).toBe(1);
    expect((await readStatus(deps(), id, owner)).cache).toBe("HIT");
  });

  test("a cache fill Redis refuses does not fail the read: the view is answered, a warning is logged", async () => {
    const id = await seed({ ...settled });
    captured.clear();
    const res = await readStatus(deps({ cacheTtl: { settledSeconds: -1, movingSeconds: -1 } }), id, owner);
    expect(res.cache).toBe("MISS");
    expect(res.view.correlation_id).toBe(id);
    expect(warnings().length).toBe(1);
    expect(await r.redis.exists(id)).toBe(0);
  });

  test("with Redis down the read goes straight to PostgreSQL (BYPASS), quietly", async () => {
    const id = await seed({ ...settled });
    captured.clear();
    const res = await readStatus(deps({ redis: downRedis }), id, owner);
    expect(res.cache).toBe("BYPASS");
    expect(res.view.correlation_id).toBe(id);
    expect(warnings()).toEqual([]); // a known outage is not tried (and warned about) on every read
    expect(await r.redis.exists(id)).toBe(0);
  });
});

describe("readStatus: read replica", () => {
  test("a row the replica has is read there and cached only for the short TTL", async () => {
    const id = await seed({ ...settled });
    await seed({ ...settled, id, status: "FAILED" }, replicaDb.sql);
    const res = await readStatus(deps({ sqlRead: replicaDb.sql }), id, owner);
    expect(res.view.status).toBe("FAILED"); // the replica's version
    const ttl = await r.redis.ttl(id);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(TTL.movingSeconds);
  });

  test("an id the replica does not know yet is read on the primary and cached for the full TTL", async () => {
    const id = await seed({ ...settled });
    const res = await readStatus(deps({ sqlRead: replicaDb.sql }), id, owner);
    expect(res.view.correlation_id).toBe(id);
    expect(res.view.status).toBe("SUCCESS");
    expect(await r.redis.ttl(id)).toBeGreaterThan(TTL.movingSeconds);
  });

  test("a replica that is the primary connection is no replica: the full TTL", async () => {
    const id = await seed({ ...settled });
    await readStatus(deps({ sqlRead: db.sql }), id, owner);
    expect(await r.redis.ttl(id)).toBeGreaterThan(TTL.movingSeconds);
  });

  test("an id on neither is a NotFoundError", async () => {
    const err = await rejection(readStatus(deps({ sqlRead: replicaDb.sql }), crypto.randomUUID(), owner));
    expect(err).toBeInstanceOf(NotFoundError);
  });
});

describe("readStatus: access log and PostgreSQL outages", () => {
  test("a read by anyone but the owner is recorded, on a MISS and on a HIT alike", async () => {
    const id = await seed({ ...settled });
    expect((await readStatus(deps(), id, operator)).cache).toBe("MISS");
    expect((await readStatus(deps(), id, operator)).cache).toBe("HIT");
    const row = { client: "ops", role: "operator", action: "read", correlation_id: id };
    expect(await accessRows(id)).toEqual([row, row]);
  });

  test("PostgreSQL down is a DependencyUnavailableError naming postgres", async () => {
    const err = await rejection(
      readStatus(deps({ sql: deadSql, redis: downRedis }), crypto.randomUUID(), owner),
    );
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect((err as DependencyUnavailableError).dependency).toBe("postgres");
  });

  test("a primary down behind a lagging replica is a DependencyUnavailableError naming postgres", async () => {
    const err = await rejection(
      readStatus(
        deps({ sql: deadSql, sqlRead: replicaDb.sql, redis: downRedis }),
        crypto.randomUUID(),
        owner,
      ),
    );
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect((err as DependencyUnavailableError).dependency).toBe("postgres");
  });

  test("a non-owner read whose access log cannot be written fails (503), it is not answered unrecorded", async () => {
    const id = await seed({ ...settled }, replicaDb.sql);
    const err = await rejection(
      readStatus(deps({ sql: deadSql, sqlRead: replicaDb.sql, redis: downRedis }), id, operator),
    );
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect((err as DependencyUnavailableError).dependency).toBe("postgres");
    // The owner's read needs no access log: answered from the replica.
    const own = await readStatus(deps({ sql: deadSql, sqlRead: replicaDb.sql, redis: downRedis }), id, owner);
    expect(own.view.correlation_id).toBe(id);
  });
});
