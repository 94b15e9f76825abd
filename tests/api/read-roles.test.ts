import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parsePolicyText } from "../../lib/policy/load.ts";
import { auth, createTestApi, type TestApi, type TestClient } from "../helpers/api.ts";
import { ids, seedRequests } from "../helpers/seed-requests.ts";

// The read side under "Who may do what": every endpoint × role, what each may see, and the
// access_log row each call by a non-owner writes before it is answered (none for an owner, none
// for a refusal).
const POLICY = parsePolicyText(
  "clients:\n  tester: {}\n  other: {}\n  operator:\n    role: operator\n  auditor:\n    role: auditor\n",
  "yaml",
  "read-roles.yaml",
);

let api: TestApi;
let mine: string;
let theirs: string;
beforeAll(async () => {
  api = await createTestApi({ policy: POLICY });
  [mine = "", theirs = ""] = await seedRequests(api.db.sql, [
    { client: "tester", receivedAt: -1000 },
    { client: "other", receivedAt: -2000 },
  ]);
});
afterAll(async () => {
  await api.close();
});

type Call = (as: TestClient) => Promise<Response>;
const post =
  (path: string, body: unknown): Call =>
  (as) =>
    Promise.resolve(
      api.app.request(path, {
        method: "POST",
        headers: { "content-type": "application/json", ...auth(as) },
        body: JSON.stringify(body),
      }),
    );
/** The path is read when the call runs (ids are seeded in beforeAll). */
const get =
  (path: string | (() => string)): Call =>
  (as) =>
    api.get(typeof path === "string" ? path : path(), auth(as));

async function accessRows() {
  return await api.db.sql<
    {
      client: string;
      role: string;
      action: string;
      correlation_id: string | null;
      result_count: number | null;
    }[]
  >`
    SELECT client, role, action, correlation_id, result_count FROM access_log ORDER BY id`;
}

/** Runs `call`, returns its answer and the access_log rows it added. */
async function run(call: Call, as: TestClient) {
  const before = (await accessRows()).length;
  const res = await call(as);
  const text = await res.text();
  const added = (await accessRows()).slice(before);
  let body: Record<string, unknown> | null = null;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = null; // an export: NDJSON or CSV
  }
  return { status: res.status, body, text, added };
}

describe("what each role sees", () => {
  test("list and search: a submitter its own, operators and auditors everything", async () => {
    for (const [as, expected] of [
      ["tester", [mine]],
      ["operator", [mine, theirs]],
      ["auditor", [mine, theirs]],
    ] as const) {
      const list = await run(get("/api/v1/requests"), as);
      expect(list.status).toBe(200);
      expect(ids(list.body as never)).toEqual([...expected]);
      const found = await run(post("/api/v1/search", { q: "aws" }), as);
      expect(found.status).toBe(200);
      expect(ids(found.body as never)).toEqual([...expected]);
    }
  });

  test("events: another client's request is a 404 for a submitter, same body as an unknown id", async () => {
    const other = await run(get(`/api/v1/requests/${theirs}/events`), "tester");
    const unknown = await run(get("/api/v1/requests/00000000-0000-4000-8000-000000000000/events"), "tester");
    expect(other.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(other.text.replace(theirs, "ID")).toBe(
      unknown.text.replace("00000000-0000-4000-8000-000000000000", "ID"),
    );
    for (const as of ["operator", "auditor"] as const) {
      expect((await run(get(`/api/v1/requests/${theirs}/events`), as)).status).toBe(200);
    }
    expect((await run(get(`/api/v1/requests/${mine}/events`), "tester")).status).toBe(200);
  });

  const refusals: [string, Call, TestClient[]][] = [
    ["stats", get("/api/v1/stats"), ["tester", "other"]],
    ["export", get("/api/v1/requests/export"), ["tester", "operator"]],
  ];
  for (const [name, call, refused] of refusals) {
    test(`${name}: refused (403, rule role) for ${refused.join(", ")}, nothing recorded`, async () => {
      for (const as of refused) {
        const r = await run(call, as);
        expect(r.status).toBe(403);
        expect(r.body?.rule).toBe("role");
        expect(r.added).toEqual([]);
      }
    });
  }
  test("stats: operators and auditors; export: auditors", async () => {
    expect((await run(get("/api/v1/stats"), "operator")).status).toBe(200);
    expect((await run(get("/api/v1/stats"), "auditor")).status).toBe(200);
    const exported = await run(get("/api/v1/requests/export"), "auditor");
    expect(exported.status).toBe(200);
    expect(exported.text.trim().split("\n")).toHaveLength(2);
  });
});

describe("the audit trail: one access_log row per non-owner call, before the answer", () => {
  // [name, the operator's call, the owner's same call (none for stats: owners may not), action]
  const cases: [string, Call, Call | null, string][] = [
    ["list", get("/api/v1/requests?provider=aws"), get("/api/v1/requests?provider=aws"), "list"],
    ["search", post("/api/v1/search", { q: "aws" }), post("/api/v1/search", { q: "aws" }), "search"],
    [
      "events",
      get(() => `/api/v1/requests/${theirs}/events`),
      get(() => `/api/v1/requests/${mine}/events`),
      "events",
    ],
    ["stats", get("/api/v1/stats"), null, "stats"],
  ];
  for (const [name, call, ownCall, action] of cases) {
    test(`${name} by an operator writes one row; by the owner none`, async () => {
      const r = await run(call, "operator");
      expect(r.status).toBe(200);
      expect(r.added).toHaveLength(1);
      expect(r.added[0]).toMatchObject({
        client: "operator",
        role: "operator",
        action,
        correlation_id: name === "events" ? theirs : null,
      });
      if (name === "list" || name === "search") expect(r.added[0]?.result_count).toBe(2);
      if (ownCall) {
        // The owner reading its own requests is not recorded (it polls).
        const own = await run(ownCall, "tester");
        expect(own.status).toBe(200);
        expect(own.added).toEqual([]);
      }
    });
  }

  test("export by an auditor writes one row, with the filter asked", async () => {
    const r = await run(get("/api/v1/requests/export?format=csv&status=SUCCESS"), "auditor");
    expect(r.status).toBe(200);
    expect(r.added).toEqual([
      { client: "auditor", role: "auditor", action: "export", correlation_id: null, result_count: null },
    ]);
    const [row] = await api.db.sql<
      { filter: unknown }[]
    >`SELECT filter FROM access_log ORDER BY id DESC LIMIT 1`;
    expect(row?.filter).toEqual({ filters: { status: { in: ["SUCCESS"] } }, format: "csv" });
  });

  test("bad input by an operator records nothing", async () => {
    const r = await run(get("/api/v1/requests?cursor=garbage!"), "operator");
    expect(r.status).toBe(400);
    expect(r.added).toEqual([]);
  });
});
