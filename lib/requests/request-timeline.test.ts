import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestDatabase, errorWithPostgresDown, type TestDatabase } from "../../tests/helpers/db.ts";
import { seedRequests } from "../../tests/helpers/seed-requests.ts";
import type { Caller } from "../auth/authorize.ts";
import { DependencyUnavailableError, NotFoundError } from "../errors/http-errors.ts";
import { readTimeline } from "./request-timeline.ts";

// readTimeline against a real PostgreSQL: order, paging, visibility and the access log.
let db: TestDatabase;
let id: string;
const owner: Caller = { name: "tester", role: "submitter" };
const auditor: Caller = { name: "aud", role: "auditor" };
const KINDS = ["RECEIVED", "STARTED", "SUCCEEDED", "REVOCATION_SCHEDULED", "REVOKED"];

beforeAll(async () => {
  db = await createTestDatabase();
  const [seeded] = await seedRequests(db.sql, [{}]);
  if (!seeded) throw new Error("seed returned no id");
  id = seeded;
  let i = 0;
  for (const kind of KINDS) {
    await db.sql`
      INSERT INTO request_events (correlation_id, at, kind, from_status, to_status, detail)
      VALUES (${id}, ${new Date(Date.UTC(2026, 11, 1, 0, 0, i))}, ${kind}, ${i === 0 ? null : "PENDING"},
              ${"SUCCESS"}, ${db.sql.json({ n: i })})`;
    i++;
  }
});
afterAll(async () => {
  await db.drop();
});

const deps = () => ({ sql: db.sql, dbTimeoutMs: 2000 });
const accessRows = async () => [
  ...(await db.sql<{ client: string; role: string; action: string; correlation_id: string }[]>`
    SELECT client, role, action, correlation_id FROM access_log WHERE correlation_id = ${id} ORDER BY id`),
];

describe("readTimeline", () => {
  test("the events in order, every field, and no next page when all fit", async () => {
    const t = await readTimeline(deps(), owner, id, { limit: 10 });
    expect(t.correlation_id).toBe(id);
    expect(t.events.map((e) => e.kind)).toEqual(KINDS);
    expect(t.events[1]).toEqual({
      id: expect.any(String),
      at: "2026-12-01T00:00:01.000Z",
      kind: "STARTED",
      from_status: "PENDING",
      to_status: "SUCCESS",
      detail: { n: 1 },
    });
    expect(t.events[0]?.from_status).toBeNull();
    expect(t.next_after).toBeNull();
    expect(await accessRows()).toEqual([]); // the owner's reads are not access-logged
  });

  test("pages of `limit` events, each naming the last id until the last page", async () => {
    const p1 = await readTimeline(deps(), owner, id, { limit: 3 });
    expect(p1.events.map((e) => e.kind)).toEqual(KINDS.slice(0, 3));
    expect(p1.next_after).toBe(p1.events[2]?.id ?? "missing");
    const p2 = await readTimeline(deps(), owner, id, { after: p1.next_after ?? "", limit: 3 });
    expect(p2.events.map((e) => e.kind)).toEqual(KINDS.slice(3));
    expect(p2.next_after).toBeNull();
  });

  test("a page that holds exactly the remaining events has no next page", async () => {
    const t = await readTimeline(deps(), owner, id, { limit: KINDS.length });
    expect(t.events.length).toBe(KINDS.length);
    expect(t.next_after).toBeNull();
    const short = await readTimeline(deps(), owner, id, { limit: KINDS.length - 1 });
    expect(short.next_after).toBe(short.events.at(-1)?.id ?? "missing");
  });

  test("an unknown id and another client's request are the same NotFoundError", async () => {
    const unknown = crypto.randomUUID();
    for (const [caller, cid] of [
      [owner, unknown],
      [{ name: "other", role: "submitter" } satisfies Caller, id],
    ] as const) {
      const err = await readTimeline(deps(), caller, cid, { limit: 10 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(NotFoundError);
      expect((err as NotFoundError).message).toBe(`no request ${cid}`);
    }
  });

  test("a timeline read by anyone but the owner is recorded before it is answered", async () => {
    const t = await readTimeline(deps(), auditor, id, { limit: 10 });
    expect(t.events.length).toBe(KINDS.length);
    expect(await accessRows()).toEqual([
      { client: "aud", role: "auditor", action: "events", correlation_id: id },
    ]);
  });

  test("PostgreSQL down is a DependencyUnavailableError naming postgres", async () => {
    const err = await errorWithPostgresDown((dead) =>
      readTimeline({ sql: dead, dbTimeoutMs: 2000 }, owner, id, { limit: 10 }),
    );
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect((err as DependencyUnavailableError).dependency).toBe("postgres");
  });
});
