import { afterAll, beforeAll, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { parsePolicyText } from "../../lib/policy/load.ts";
import { auth, createTestApi, type TestApi } from "../helpers/api.ts";
import { seedRequests } from "../helpers/seed-requests.ts";

// Keyset pagination under concurrent inserts: every row that existed when paging started is seen
// exactly once and in order, whatever is inserted meanwhile (newer rows, and rows in the same
// microsecond-precise instants as the ones being paged: ties are broken by correlation_id).
const POLICY = parsePolicyText("clients:\n  operator:\n    role: operator\n", "yaml", "paging.yaml");

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi({ policy: POLICY });
});
afterAll(async () => {
  await api.close();
});

test("no duplicates and no gaps while rows are inserted", async () => {
  // 300 rows over 60 instants five apart in microseconds: many share a millisecond, and groups
  // of five share an instant exactly.
  const base = Date.parse("2026-06-01T12:00:00Z");
  const instant = (i: number) =>
    `${new Date(base + Math.floor(i / 50)).toISOString().slice(0, 23)}${String((i % 50) * 5).padStart(3, "0")}Z`;
  const rows = Array.from({ length: 300 }, (_, i) => ({ receivedAt: instant(Math.floor(i / 5) * 5) }));
  const existing = await seedRequests(api.db.sql, rows);

  let inserting = true;
  let inserted = 0;
  const inserter = (async () => {
    // Newer rows, and rows at instants inside the range being paged.
    while (inserting) {
      await seedRequests(api.db.sql, [
        { receivedAt: 0 },
        { id: randomUUID(), receivedAt: instant((inserted * 7) % 300) },
      ]);
      inserted += 2;
      await Bun.sleep(1);
    }
  })();

  const seen: string[] = [];
  let cursor: string | null = null;
  try {
    do {
      const res = await api.get(
        `/api/v1/requests?limit=7&to=2026-06-01T12:00:01Z${cursor ? `&cursor=${cursor}` : ""}`,
        auth("operator"),
      );
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        items: { correlation_id: string; received_at: string }[];
        next_cursor: string | null;
      };
      for (const r of body.items) seen.push(r.correlation_id);
      cursor = body.next_cursor;
    } while (cursor);
  } finally {
    inserting = false;
    await inserter;
  }
  expect(inserted).toBeGreaterThan(0);
  expect(new Set(seen).size).toBe(seen.length); // no duplicates
  const seenSet = new Set(seen);
  expect(existing.filter((id) => !seenSet.has(id))).toEqual([]); // no gaps
  // In page order: (received_at with its microseconds, correlation_id), strictly descending.
  const exact = await api.db.sql<{ id: string; t: string }[]>`
    SELECT correlation_id::text AS id, to_char(received_at, 'YYYYMMDDHH24MISSUS') AS t
    FROM requests WHERE correlation_id IN ${api.db.sql(seen)}`;
  const key = new Map(exact.map((r) => [r.id, `${r.t}/${r.id}`]));
  const ordered = seen.map((id) => key.get(id) ?? "");
  expect(ordered).toEqual([...ordered].sort().reverse());
  expect(new Set(ordered).size).toBe(seen.length);
});
