import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { EXPORT_PAGE_ROWS, type ExportDeps, exportStream } from "../../lib/requests/export-requests.ts";
import { listFiltersSchema } from "../../lib/requests/list-filters.ts";
import { captureLog } from "../fixtures/queue-support.ts";
import { createTestApi, type TestApi } from "../helpers/api.ts";

// The export stream's ends: a row count that fills its last page exactly, and PostgreSQL failing
// between two pages (the stream must error, never end as if complete). Called directly with its
// dependencies; tests/api/export.test.ts has the HTTP side and the 100,000-row run.
let api: TestApi;
const auditor = { name: "auditor", role: "auditor" as const };
const allRows = listFiltersSchema.parse({});

beforeAll(async () => {
  api = await createTestApi();
});
afterAll(async () => {
  await api.close();
});

async function seed(rows: number, client: string): Promise<void> {
  await api.db.sql`
    INSERT INTO requests (correlation_id, cloud_provider, action, client, request_payload, request_hash,
                          access_key, principal, received_at)
    SELECT gen_random_uuid(), 'aws', 'grant', ${client}, jsonb_build_object('provider', 'aws'), 'seed',
           'k' || i, 'user/u' || i, now() - i * interval '1 second'
    FROM generate_series(1, ${rows}::int) AS i`;
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<{ lines: number; chunks: number }> {
  const reader = stream.getReader();
  let lines = 0;
  let chunks = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { lines, chunks };
    chunks++;
    for (const b of value) if (b === 10) lines++;
  }
}

describe("export stream", () => {
  test("rows that fill the last page exactly: every row once, and the stream ends cleanly", async () => {
    await seed(2 * EXPORT_PAGE_ROWS, "exact");
    const deps: ExportDeps = { sql: api.db.sql, log: captureLog().log, dbTimeoutMs: 5000 };
    const out = await readAll(exportStream(deps, auditor, { ...allRows, client: ["exact"] }, "ndjson"));
    expect(out.lines).toBe(2 * EXPORT_PAGE_ROWS);
    expect(out.chunks).toBe(2); // two full pages; the empty third page adds no chunk
  });

  test("PostgreSQL failing between two pages errors the stream, and the alert line says how far it got", async () => {
    await seed(EXPORT_PAGE_ROWS + 10, "cut");
    const captured = captureLog();
    const deps: ExportDeps = { sql: api.db.sql, log: captured.log, dbTimeoutMs: 5000 };
    const reader = exportStream(deps, auditor, { ...allRows, client: ["cut"] }, "csv").getReader();
    const first = await reader.read(); // the header
    expect(new TextDecoder().decode(first.value)).toStartWith("correlation_id,");
    const page = await reader.read();
    expect(page.done).toBe(false);
    // The next page's query fails: the table is not there while it runs.
    await api.db.sql`ALTER TABLE requests RENAME TO requests_away`;
    try {
      await expect(reader.read()).rejects.toThrow(/requests/);
    } finally {
      await api.db.sql`ALTER TABLE requests_away RENAME TO requests`;
    }
    const alert = captured.lines().find((l) => l.msg === "export failed part-way");
    expect(alert).toMatchObject({ level: "error", client: "auditor", rows: EXPORT_PAGE_ROWS });
  });
});
