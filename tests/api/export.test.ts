import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parsePolicyText } from "../../lib/policy/load.ts";
import { CSV_COLUMNS, EXPORT_PAGE_ROWS } from "../../lib/requests/export-requests.ts";
import { auth, createTestApi, type TestApi } from "../helpers/api.ts";
import { seedRequests } from "../helpers/seed-requests.ts";

// GET /api/v1/requests/export: the filtered list as NDJSON or CSV, streamed page by page.
const POLICY = parsePolicyText(
  "clients:\n  auditor:\n    role: auditor\n  operator:\n    role: operator\n",
  "yaml",
  "export.yaml",
);

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi({ policy: POLICY });
});
afterAll(async () => {
  await api.close();
});

const exportAs = (query: string, as: "auditor" | "operator" | "tester" = "auditor") =>
  api.get(`/api/v1/requests/export?${query}`, auth(as));

describe("formats", () => {
  let made: string[] = [];
  beforeAll(async () => {
    made = await seedRequests(api.db.sql, [
      {
        principal: "user/=cmd|' /C calc'!A0",
        ticket: "CHG-9",
        justification: 'needs "quotes", commas\nand lines',
        receivedAt: -1000,
      },
      { status: "FAILED", errorDetails: { code: "NoSuchEntity", message: "no, such" }, receivedAt: -2000 },
      { provider: "azure", client: "hr", receivedAt: -3000 },
    ]);
  });

  test("NDJSON: one summary per line, newest first, filters applied", async () => {
    const res = await exportAs("client=tester");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="requests-.*\.ndjson"$/);
    const lines = (await res.text())
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.correlation_id)).toEqual(made.slice(0, 2));
    expect(lines[0]?.principal).toBe("user/=cmd|' /C calc'!A0"); // unchanged in NDJSON
    expect(lines[1]?.error_details).toEqual({ code: "NoSuchEntity", message: "no, such" });
  });

  test("CSV: a header, RFC 4180 quoting, formula cells defused", async () => {
    const res = await exportAs("format=csv");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    const text = await res.text();
    expect(text.startsWith(`${CSV_COLUMNS.join(",")}\r\n`)).toBe(true);
    // Not at the start of the cell: nothing to defuse.
    expect(text).toContain(",user/=cmd|' /C calc'!A0,");
    expect(text).toContain(`"needs ""quotes"", commas\nand lines"`);
    expect(text).toContain(`"{""code"":""NoSuchEntity"",""message"":""no, such""}"`);
    expect(text.split("\r\n").filter((l) => l !== "")).toHaveLength(1 + 3);
    // A row without error details has an empty last cell, not "null".
    const plain = text.split("\r\n").find((l) => l.startsWith(made[2] ?? "?"));
    expect(plain?.endsWith(",")).toBe(true);
    expect(plain).not.toContain("null");
  });

  test("a principal that is a formula gets its apostrophe", async () => {
    await seedRequests(api.db.sql, [
      { principal: '=HYPERLINK("http://evil")', client: "formula", receivedAt: -500 },
    ]);
    const text = await (await exportAs("format=csv&client=formula")).text();
    expect(text).toContain(`"'=HYPERLINK(""http://evil"")"`);
  });

  test("roles: only an auditor exports; bad parameters are 422 before anything streams", async () => {
    for (const as of ["operator", "tester"] as const) {
      const res = await exportAs("", as);
      expect(res.status).toBe(403);
      expect(((await res.json()) as { rule: string }).rule).toBe("role");
    }
    const bad = await exportAs("format=xlsx&stauts=FAILED");
    expect(bad.status).toBe(422);
    expect(
      ((await bad.json()) as { errors: { pointer: string }[] }).errors.map((e) => e.pointer).sort(),
    ).toEqual(["/format", "/stauts"]);
  });
});

test("100,000 rows stream in bounded memory, every row once", async () => {
  // A fresh client's rows, with a 600-byte justification each: about 100 MB of CSV.
  const rows = 100_000;
  // In batches: each statement stays well within the test database's statement timeout.
  for (let from = 1; from <= rows; from += 10_000) {
    await api.db.sql`
    INSERT INTO requests (correlation_id, cloud_provider, action, client, request_payload, request_hash,
                          access_key, principal, ticket, received_at)
    SELECT gen_random_uuid(), 'aws', 'grant', 'bulk',
           jsonb_build_object('provider', 'aws', 'justification', repeat('x', 600)),
           'seed', 'k' || i, 'user/u' || (i % 1000), 'CHG-' || i,
           now() - i * interval '1 second'
    FROM generate_series(${from}::int, ${from + 9_999}::int) AS i`;
  }
  Bun.gc(true);
  const before = process.memoryUsage().heapUsed;
  const res = await exportAs("format=csv&client=bulk");
  expect(res.status).toBe(200);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  let bytes = 0;
  let newlines = 0;
  let peak = 0;
  let chunks = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    for (const b of value) if (b === 10) newlines++;
    if (++chunks % 20 === 0) {
      Bun.gc(true);
      peak = Math.max(peak, process.memoryUsage().heapUsed - before);
    }
  }
  expect(newlines).toBe(rows + 1); // the header and every row, each once (no newline inside)
  expect(chunks).toBeGreaterThanOrEqual(rows / EXPORT_PAGE_ROWS);
  expect(bytes).toBeGreaterThan(60_000_000);
  // What stays alive while streaming is about one page (~0.7 MB), not the 60+ MB answer.
  expect(peak).toBeLessThan(32 * 1024 * 1024);
  console.log(
    `export: ${rows} rows, ${(bytes / 1e6).toFixed(0)} MB, peak live heap +${(peak / 1e6).toFixed(1)} MB`,
  );
}, 120_000);
