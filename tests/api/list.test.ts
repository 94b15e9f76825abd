import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parsePolicyText } from "../../lib/policy/load.ts";
import { encodeCursor } from "../../lib/requests/list-cursor.ts";
import { auth, createTestApi, type TestApi } from "../helpers/api.ts";
import { ids, type SeedRow, seedRequests } from "../helpers/seed-requests.ts";

// GET /api/v1/requests: every filter alone (the exact rows it must return), combined, paging and
// its bounds, and refusals of bad parameters. The operator sees every client's rows.
const POLICY = parsePolicyText("clients:\n  operator:\n    role: operator\n", "yaml", "list.yaml");
const H = 3600_000;
const AZ_USER = "0b9f7c1e-6a53-4b5e-9a39-2f8d9f3c1a11";

// Newest first in the order written: received 1 h, 2 h, ... ago.
const ROWS: Record<string, SeedRow> = {
  awsFailedAlice: {
    status: "FAILED",
    principal: "user/alice",
    ticket: "CHG-1",
    errorDetails: { code: "NoSuchEntity", message: "no such user" },
  },
  awsOkBobRole: {
    principal: "role/bob",
    ticket: "CHG-2",
    justification: "Quarterly audit of 100% of_things",
  },
  azureOk: {
    provider: "azure",
    principal: AZ_USER,
    revocationStatus: "SCHEDULED",
    expiresAt: 2 * H,
    client: "hr",
  },
  awsPending: { status: "PENDING", principal: "group/alice", client: "hr", updatedAt: -30 * 60_000 },
  awsRevoke: { action: "revoke", principal: "user/carol", ticket: "INC0012345" },
  awsRevoked: { revocationStatus: "REVOKED", principal: "user/alice", expiresAt: -H, revokedAt: -H + 500 },
  azureProcessing: {
    provider: "azure",
    status: "PROCESSING",
    principal: AZ_USER,
    justification: "audit prep",
    updatedAt: -60_000, // moving: not stuck
  },
  awsSkipped: { revocationStatus: "SKIPPED", principal: "user/dave", expiresAt: 30 * H, preExisting: true },
};
const NAMES = Object.keys(ROWS);

describe("GET /api/v1/requests", () => {
  let api: TestApi;
  const id: Record<string, string> = {};
  const now = Date.now();
  beforeAll(async () => {
    api = await createTestApi({ policy: POLICY });
    const made = await seedRequests(
      api.db.sql,
      NAMES.map((n, i) => ({ receivedAt: -(i + 1) * H, ...ROWS[n] })),
      now,
    );
    NAMES.forEach((n, i) => {
      id[n] = made[i] ?? "";
    });
  });
  afterAll(async () => {
    await api.close();
  });

  const list = async (query: string, as: "operator" | "tester" = "operator") => {
    const res = await api.get(`/api/v1/requests${query ? `?${query}` : ""}`, auth(as));
    return {
      res,
      body: (await res.json()) as Record<string, unknown> & { items: { correlation_id: string }[] },
    };
  };
  const expectNames = async (query: string, names: string[]) => {
    const { res, body } = await list(query);
    expect(res.status).toBe(200);
    expect(ids(body)).toEqual(names.map((n) => id[n] ?? ""));
  };
  const iso = (ms: number) => new Date(ms).toISOString();

  test("no filter: everything, newest first, with the summary fields", async () => {
    const { res, body } = await list("");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(ids(body)).toEqual(NAMES.map((n) => id[n] ?? ""));
    expect(body.next_cursor).toBeNull();
    const first = body.items[0] as Record<string, unknown>;
    expect(first).toMatchObject({
      status: "FAILED",
      cloud_provider: "aws",
      action: "grant",
      client: "tester",
      principal: "user/alice",
      permission: "arn:aws:iam::aws:policy/ReadOnlyAccess",
      ticket: "CHG-1",
      error_details: { code: "NoSuchEntity", message: "no such user" },
    });
    const azure = body.items[2] as Record<string, unknown>;
    expect(azure.permission).toBe(
      "Reader at /subscriptions/6f1d2b7a-0c1e-4a7b-9d3e-5c2a1b0f9e8d/resourceGroups/rg-dev",
    );
  });

  const cases: [string, string, string[]][] = [
    ["provider", "provider=azure", ["azureOk", "azureProcessing"]],
    [
      "provider_not",
      "provider_not=azure",
      ["awsFailedAlice", "awsOkBobRole", "awsPending", "awsRevoke", "awsRevoked", "awsSkipped"],
    ],
    ["status", "status=FAILED&status=pending", ["awsFailedAlice", "awsPending"]],
    ["status_not", "status_not=SUCCESS,FAILED", ["awsPending", "azureProcessing"]],
    ["revocation_status", "revocation_status=SCHEDULED", ["azureOk"]],
    [
      "revocation_status_not (NULL passes)",
      "revocation_status_not=SCHEDULED,REVOKED",
      ["awsFailedAlice", "awsOkBobRole", "awsPending", "awsRevoke", "azureProcessing", "awsSkipped"],
    ],
    ["action", "action=revoke", ["awsRevoke"]],
    ["from (inclusive)", `from=${iso(now - 3 * H)}`, ["awsFailedAlice", "awsOkBobRole", "azureOk"]],
    ["to (exclusive)", `to=${iso(now - 6 * H)}`, ["azureProcessing", "awsSkipped"]],
    ["from + to", `from=${iso(now - 5 * H)}&to=${iso(now - 3 * H)}`, ["awsPending", "awsRevoke"]],
    ["expires_from", `expires_from=${iso(now)}`, ["azureOk", "awsSkipped"]],
    ["expires_to", `expires_to=${iso(now)}`, ["awsRevoked"]],
    ["stuck", "stuck=true", ["awsPending"]],
    ["principal bare name: any AWS type", "principal=alice", ["awsFailedAlice", "awsPending", "awsRevoked"]],
    ["principal typed", "principal=user/alice", ["awsFailedAlice", "awsRevoked"]],
    ["principal several", "principal=role/bob&principal=user/carol", ["awsOkBobRole", "awsRevoke"]],
    ["principal guid, any case", `principal=${AZ_USER.toUpperCase()}`, ["azureOk", "azureProcessing"]],
    ["ticket", "ticket=CHG-2&ticket=INC0012345", ["awsOkBobRole", "awsRevoke"]],
    ["client", "client=hr", ["azureOk", "awsPending"]],
    ["text in justification, any case", "text=QUARTERLY", ["awsOkBobRole"]],
    ["text in ticket", "text=chg-", ["awsFailedAlice", "awsOkBobRole"]],
    ["text in principal", "text=carol", ["awsRevoke"]],
    ["text: % and _ are literal", "text=100%25%20of_", ["awsOkBobRole"]],
    ["text: a % alone matches only a %", "text=%25", ["awsOkBobRole"]],
    ["text: every phrase must occur", "text=audit&text=prep", ["azureProcessing"]],
    ["text never spans two fields", "text=CHG-1%20user", []],
    [
      "combined",
      `provider=aws&status_not=PENDING&principal=alice&from=${iso(now - 8 * H)}`,
      ["awsFailedAlice", "awsRevoked"],
    ],
    ["combined, nothing matches", "provider=azure&action=revoke", []],
  ];
  for (const [name, query, names] of cases) {
    test(`filter: ${name}`, async () => {
      await expectNames(query, names);
    });
  }

  test("pages: limit and cursor walk every row once, in order", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = `limit=3${cursor ? `&cursor=${cursor}` : ""}`;
      const { res, body } = await list(q);
      expect(res.status).toBe(200);
      expect(body.items.length).toBeLessThanOrEqual(3);
      seen.push(...ids(body));
      cursor = body.next_cursor as string | null;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(NAMES.map((n) => id[n] ?? ""));
  });

  test("a cursor keeps its filters' meaning: the next page of a filtered list", async () => {
    const first = await list("principal=alice&limit=1");
    expect(ids(first.body)).toEqual([id.awsFailedAlice ?? ""]);
    const next = await list(`principal=alice&limit=5&cursor=${first.body.next_cursor}`);
    expect(ids(next.body)).toEqual([id.awsPending ?? "", id.awsRevoked ?? ""]);
    expect(next.body.next_cursor).toBeNull();
  });

  test("limit: default 50, at most 200", async () => {
    expect((await list("limit=200")).res.status).toBe(200);
    for (const bad of ["0", "201", "-1", "abc", "1.5"]) {
      const { res, body } = await list(`limit=${bad}`);
      expect(res.status).toBe(422);
      expect((body as unknown as { errors: { pointer: string }[] }).errors.map((e) => e.pointer)).toEqual([
        "/limit",
      ]);
    }
  });

  test("a cursor we did not issue is a 400, never a 500", async () => {
    const garbage = [
      "not-a-cursor!",
      "e30", // {}
      Buffer.from("[1,2]").toString("base64url"),
      Buffer.from(
        '{"v":1,"t":"2026-02-30T00:00:00.000000Z","id":"0b9f7c1e-6a53-4b5e-9a39-2f8d9f3c1a11"}',
      ).toString("base64url"),
      encodeCursor({ receivedAt: "2026-01-01T00:00:00.000Z", correlationId: AZ_USER }),
      encodeCursor({ receivedAt: "2026-01-01T00:00:00.000000Z", correlationId: "nope" }),
      "A".repeat(300),
    ];
    for (const cursor of garbage) {
      const { res, body } = await list(`cursor=${encodeURIComponent(cursor)}`);
      expect(res.status === 400 || res.status === 422).toBe(true);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      if (res.status === 400) expect(body.code).toBe("invalid_cursor");
    }
  });

  test("bad filters and unknown parameters: 422 naming every one", async () => {
    const { res, body } = await list("stauts=FAILED&provider=gcp&from=yesterday&limit=2&limit=3");
    expect(res.status).toBe(422);
    expect(
      (body as unknown as { errors: { pointer: string }[] }).errors.map((e) => e.pointer).sort(),
    ).toEqual(["/from", "/limit", "/provider", "/stauts"].sort());
  });

  test("the caller's visibility is part of the query: a submitter sees its own rows only", async () => {
    const { res, body } = await list("", "tester");
    expect(res.status).toBe(200);
    expect(ids(body)).toEqual(
      NAMES.filter((n) => (ROWS[n]?.client ?? "tester") === "tester").map((n) => id[n] ?? ""),
    );
    // Asking for another client's rows finds nothing rather than widening the visibility.
    expect(ids((await list("client=hr", "tester")).body)).toEqual([]);
  });
});
