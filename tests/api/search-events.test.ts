import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parsePolicyText } from "../../lib/policy/load.ts";
import { auth, createTestApi, samples, type TestApi } from "../helpers/api.ts";
import { ids, seedRequests } from "../helpers/seed-requests.ts";

// POST /api/v1/search (the parser wired to the list) and GET /api/v1/requests/{id}/events.
const POLICY = parsePolicyText(
  "clients:\n  tester:\n    providers: [aws]\n    aws: { policy_arns: ['**'] }\n  operator:\n    role: operator\n",
  "yaml",
  "search.yaml",
);
const NOW = new Date("2026-11-30T10:00:00Z");

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi({ policy: POLICY, now: () => NOW });
});
afterAll(async () => {
  await api.close();
});

const search = (body: unknown, as: "operator" | "tester" = "operator") =>
  Promise.resolve(
    api.app.request("/api/v1/search", {
      method: "POST",
      headers: { "content-type": "application/json", ...auth(as) },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );

describe("POST /api/v1/search", () => {
  const id: Record<string, string> = {};
  beforeAll(async () => {
    const rows = {
      failedAwsYesterday: { status: "FAILED", receivedAt: "2026-11-29T15:00:00Z" },
      failedAwsYesterdayLate: { status: "FAILED", receivedAt: "2026-11-29T23:59:59.999999Z" },
      failedAwsToday: { status: "FAILED", receivedAt: "2026-11-30T01:00:00Z" },
      okAwsYesterday: { status: "SUCCESS", receivedAt: "2026-11-29T12:00:00Z" },
      failedAzureYesterday: { status: "FAILED", provider: "azure", receivedAt: "2026-11-29T12:00:00Z" },
      failedAwsOtherClient: { status: "FAILED", client: "other", receivedAt: "2026-11-29T10:00:00Z" },
    } as const;
    const made = await seedRequests(api.db.sql, Object.values(rows), NOW.getTime());
    Object.keys(rows).forEach((k, i) => {
      id[k] = made[i] ?? "";
    });
  });

  test("failed aws requests yesterday: the filters, the chips and exactly the matching rows", async () => {
    const res = await search({ q: "failed aws requests yesterday" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.filters).toEqual({
      provider: { in: ["aws"] },
      status: { in: ["FAILED"] },
      from: "2026-11-29T00:00:00.000Z",
      to: "2026-11-30T00:00:00.000Z",
    });
    expect(body.explanation).toEqual([
      "status = FAILED",
      "provider = aws",
      "received 2026-11-29 00:00 – 24:00 UTC",
    ]);
    expect(body.unknown).toEqual([]);
    expect(ids(body)).toEqual(
      ["failedAwsYesterdayLate", "failedAwsYesterday", "failedAwsOtherClient"].map((k) => id[k] ?? ""),
    );
    expect(body.next_cursor).toBeNull();
  });

  test("the caller's time zone moves 'yesterday'; unknown words are reported, not guessed", async () => {
    const res = await search({ q: "falied aws yesterday", tz: "Pacific/Kiritimati" }); // UTC+14
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.filters).toEqual({
      provider: { in: ["aws"] },
      from: "2026-11-29T10:00:00.000Z",
      to: "2026-11-30T10:00:00.000Z",
    });
    expect(body.unknown).toEqual(["falied"]);
  });

  test("a submitter's search sees its own rows only", async () => {
    const body = (await (await search({ q: "failed aws yesterday" }, "tester")).json()) as Record<
      string,
      unknown
    >;
    expect(ids(body)).toEqual(["failedAwsYesterdayLate", "failedAwsYesterday"].map((k) => id[k] ?? ""));
  });

  test("pages with limit and cursor", async () => {
    const first = (await (await search({ q: "failed yesterday", limit: 2 })).json()) as Record<
      string,
      unknown
    >;
    expect(ids(first)).toHaveLength(2);
    const next = (await (
      await search({ q: "failed yesterday", limit: 2, cursor: first.next_cursor })
    ).json()) as Record<string, unknown>;
    expect([...ids(first), ...ids(next)]).toEqual(
      ["failedAwsYesterdayLate", "failedAwsYesterday", "failedAzureYesterday", "failedAwsOtherClient"].map(
        (k) => id[k] ?? "",
      ),
    );
    expect(next.next_cursor).toBeNull();
  });

  test("an operator's search is audited with its text, its time zone (UTC when none) and its filters", async () => {
    const lastFilter = async () => {
      const [row] = await api.db.sql<
        { action: string; filter: unknown; result_count: number | null }[]
      >`SELECT action, filter, result_count FROM access_log WHERE client = 'operator' ORDER BY id DESC LIMIT 1`;
      return row;
    };
    expect((await search({ q: "failed aws yesterday" })).status).toBe(200);
    expect(await lastFilter()).toEqual({
      action: "search",
      filter: {
        q: "failed aws yesterday",
        tz: "UTC",
        filters: {
          provider: { in: ["aws"] },
          status: { in: ["FAILED"] },
          from: "2026-11-29T00:00:00.000Z",
          to: "2026-11-30T00:00:00.000Z",
        },
      },
      result_count: 3,
    });
    expect((await search({ q: "aws", tz: "Pacific/Kiritimati" })).status).toBe(200);
    expect((await lastFilter())?.filter).toEqual({
      q: "aws",
      tz: "Pacific/Kiritimati",
      filters: { provider: { in: ["aws"] } },
    });
  });

  test("bad bodies: 400, 415, 422 with the failing fields, never a 500", async () => {
    const cases: [unknown, number, string[]][] = [
      ["{not json", 400, []],
      [{ q: "x".repeat(501) }, 422, ["/q"]],
      [{ q: "aws", tz: "Mars/Olympus" }, 422, ["/tz"]],
      [{ q: 42 }, 422, ["/q"]],
      [{}, 422, ["/q"]],
      [{ q: "aws", limit: 0, extra: 1 }, 422, ["/extra", "/limit"]],
      [{ q: "aws", cursor: "garbage!" }, 400, []],
    ];
    for (const [body, status, pointers] of cases) {
      const res = await search(body);
      expect(res.status).toBe(status);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      if (pointers.length > 0) {
        const problem = (await res.json()) as { errors: { pointer: string }[] };
        expect(problem.errors.map((e) => e.pointer).sort()).toEqual(pointers);
      }
    }
    // A body the schema refuses is named as such (the parser's own refusals say what they found).
    const refused = (await (await search({ q: 42 })).json()) as { detail: string };
    expect(refused.detail).toBe("invalid search");
    const wrongType = await api.app.request("/api/v1/search", {
      method: "POST",
      headers: { "content-type": "text/plain", ...auth("operator") },
      body: "aws",
    });
    expect(wrongType.status).toBe(415);
  });
});

describe("GET /api/v1/requests/{id}/events", () => {
  test("the timeline in order, as recorded", async () => {
    const res = await api.post(samples.awsManaged(), auth("tester"));
    expect(res.status).toBe(202);
    const { correlation_id: cid } = (await res.json()) as { correlation_id: string };
    await api.db.sql`INSERT INTO request_events (correlation_id, kind, from_status, to_status, detail)
      VALUES (${cid}, 'STATUS', 'PENDING', 'PROCESSING', NULL),
             (${cid}, 'STATUS', 'PROCESSING', 'FAILED', ${api.db.sql.json({ code: "NoSuchEntity", message: "The user with name alice cannot be found." })})`;
    const timeline = await api.get(`/api/v1/requests/${cid}/events`, auth("tester"));
    expect(timeline.status).toBe(200);
    const body = (await timeline.json()) as {
      correlation_id: string;
      events: { kind: string; to_status: string | null; detail: Record<string, unknown> | null }[];
      next_after: string | null;
    };
    expect(body.correlation_id).toBe(cid);
    expect(body.events.map((e) => [e.kind, e.to_status])).toEqual([
      ["RECEIVED", "PENDING"],
      ["STATUS", "PROCESSING"],
      ["STATUS", "FAILED"],
    ]);
    expect(body.events[0]?.detail).toEqual({ by: "tester" });
    expect(body.events[2]?.detail?.code).toBe("NoSuchEntity");
    expect(body.next_after).toBeNull();

    const page = (await (await api.get(`/api/v1/requests/${cid}/events?limit=2`, auth("tester"))).json()) as {
      events: { id: string }[];
      next_after: string;
    };
    expect(page.events).toHaveLength(2);
    const rest = (await (
      await api.get(`/api/v1/requests/${cid}/events?after=${page.next_after}`, auth("tester"))
    ).json()) as { events: { kind: string }[] };
    expect(rest.events.map((e) => e.kind)).toEqual(["STATUS"]);
  });

  test("bad ids and parameters: 400 / 422; unknown id: 404", async () => {
    expect((await api.get("/api/v1/requests/not-a-uuid/events", auth("tester"))).status).toBe(400);
    expect((await api.get(`/api/v1/requests/${crypto.randomUUID()}/events`, auth("tester"))).status).toBe(
      404,
    );
    const cid = crypto.randomUUID();
    for (const q of ["limit=0", "limit=1001", "after=-1", "after=abc"]) {
      expect((await api.get(`/api/v1/requests/${cid}/events?${q}`, auth("tester"))).status).toBe(422);
    }
  });
});
