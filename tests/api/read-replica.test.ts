import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { databaseEnv, parseEnv } from "../../lib/config/env.ts";
import { parsePolicyText } from "../../lib/policy/load.ts";
import { auth, createTestApi, samples, type TestApi } from "../helpers/api.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";

// DATABASE_READ_URL: the API's read path uses the replica, falls back to the primary for an id
// the replica does not know yet, caches what the replica said only briefly, and writes (the
// audit row of a read included) only to the primary. The "replica" is a second database that
// the test fills by hand, so that what was read from where can be told apart.
describe("read replica (DATABASE_READ_URL)", () => {
  let replica: TestDatabase;
  let api: TestApi;
  beforeAll(async () => {
    replica = await createTestDatabase();
    api = await createTestApi({
      sqlRead: replica.sql,
      policy: parsePolicyText(
        'clients:\n  tester:\n    providers: [aws]\n    aws: { policy_arns: ["**"] }\n  auditor:\n    role: auditor\n',
        "yaml",
        "read-replica-policy.yaml",
      ),
    });
  });
  afterAll(async () => {
    await api?.close();
    await replica?.drop();
  });

  const submit = async () => {
    const res = await api.post(samples.awsManaged());
    expect(res.status).toBe(202);
    return ((await res.json()) as { correlation_id: string }).correlation_id;
  };
  /** Copies a row from the primary to the "replica", as replication would, possibly changed. */
  const replicate = async (id: string, status: string) => {
    const [row] = await api.db.sql`SELECT * FROM requests WHERE correlation_id = ${id}`;
    await replica.sql`INSERT INTO requests ${replica.sql(row as Record<string, unknown>)}`;
    await replica.sql`UPDATE requests SET status = ${status} WHERE correlation_id = ${id}`;
  };

  test("the setting is a postgres URL, optional", () => {
    expect(parseEnv(databaseEnv, {}).DATABASE_READ_URL).toBeUndefined();
    expect(() => parseEnv(databaseEnv, { DATABASE_READ_URL: "mysql://x" })).toThrow(/DATABASE_READ_URL/);
  });

  test("a status read on a cache miss comes from the replica, cached only briefly", async () => {
    const id = await submit();
    await replicate(id, "PROCESSING"); // the replica says something the primary does not
    const res = await api.get(`/api/v1/requests/${id}`);
    expect(res.headers.get("x-cache")).toBe("MISS");
    expect(((await res.json()) as { status: string }).status).toBe("PROCESSING");
    const ttl = await api.r.redis.ttl(id);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(2); // CACHE_MOVING_TTL_SECONDS, whatever the status
  });

  test("an id the replica does not know yet (just submitted) is read from the primary", async () => {
    const id = await submit();
    const res = await api.get(`/api/v1/requests/${id}`, auth());
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe("PENDING");
  });

  test("writes never touch the replica: submits, and the audit row of another client's read", async () => {
    const id = await submit();
    await replicate(id, "PENDING");
    await api.r.redis.del(id);
    expect((await api.get(`/api/v1/requests/${id}`, auth("auditor"))).status).toBe(200);
    const [primary] = await api.db.sql<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM access_log WHERE correlation_id = ${id}`;
    const [onReplica] = await replica.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM access_log`;
    expect(primary?.n).toBe(1);
    expect(onReplica?.n).toBe(0);
    const [rows] = await replica.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM requests`;
    expect(rows?.n).toBe(2); // only what the test copied
  });
});
