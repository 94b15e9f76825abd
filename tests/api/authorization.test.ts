import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { findRequest } from "../../lib/db/requests.ts";
import { parsePolicyText } from "../../lib/policy/load.ts";
import { REVOCATION_SCHEDULE_KEY } from "../../lib/queue/keys.ts";
import { scheduleAt } from "../../lib/queue/schedule.ts";
import { revocationJobForRow } from "../../lib/requests/revocation-job.ts";
import { auth, createTestApi, samples, type TestApi, type TestClient } from "../helpers/api.ts";

// Guarantee 6, roles: who may do what to whose request, cell by cell, and nothing written on a
// refusal. Guardrails here allow everything (except for awsop), so every refusal is the role's.
const EVERYTHING = `
    providers: [aws, azure]
    aws: { policy_arns: ["**"] }
    azure: { roles: ["*"], scope_prefixes: ["/"] }`;
const POLICY = `
clients:
  tester:${EVERYTHING}
  other:${EVERYTHING}
  operator:
    role: operator${EVERYTHING}
  auditor:
    role: auditor
  awsop:
    role: operator
    providers: [aws]
    aws: { policy_arns: ["**"] }
`;

type Role = "submitter" | "operator" | "auditor";
const AS: Record<Role, TestClient> = { submitter: "tester", operator: "operator", auditor: "auditor" };
/** Whose request an "other" cell acts on: a submitter's that is not the caller. */
const OTHER: Record<Role, TestClient> = { submitter: "other", operator: "tester", auditor: "tester" };

describe("ownership and roles: role × endpoint × own/other request", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi({ policy: parsePolicyText(POLICY, "yaml", "authorization-policy.yaml") });
  });
  afterAll(async () => {
    await api.close();
  });

  /**
   * An active grant owned by `owner`: SUCCESS with its revocation scheduled, as a worker leaves it.
   * Made through the API as a submitter, then handed to `owner` (operators and auditors cannot
   * submit, but may own requests made before their role changed).
   */
  async function activeGrant(owner: TestClient, provider: "aws" | "azure" = "aws"): Promise<string> {
    const res = await api.post(
      provider === "aws" ? samples.awsManaged() : samples.azureReader(),
      auth("tester"),
    );
    expect(res.status).toBe(202);
    const { correlation_id: id } = (await res.json()) as { correlation_id: string };
    await api.db.sql`UPDATE requests SET client = ${owner}, status = 'SUCCESS', completed_at = now(),
                     revocation_status = 'SCHEDULED' WHERE correlation_id = ${id}`;
    const row = await findRequest(api.db.sql, id);
    if (!row?.expires_at) throw new Error("grant without an expiry");
    await scheduleAt(
      api.r.redis,
      REVOCATION_SCHEDULE_KEY,
      revocationJobForRow(row),
      row.expires_at.getTime(),
    );
    return id;
  }

  /** Everything a request could write: rows, events, access log, queued jobs, the revocation schedule. */
  async function state() {
    const sql = api.db.sql;
    return {
      rows: await sql`SELECT correlation_id, client, status, expires_at, revocation_status
                      FROM requests ORDER BY correlation_id`,
      events: await sql`SELECT id, correlation_id, kind, detail FROM request_events ORDER BY id`,
      access: await sql`SELECT id, client, role, action, correlation_id FROM access_log ORDER BY id`,
      jobs: [
        ...(await api.r.redis.lrange("queue:aws", 0, -1)),
        ...(await api.r.redis.lrange("queue:azure", 0, -1)),
      ],
      schedule: await api.r.redis.zrange(REVOCATION_SCHEDULE_KEY, 0, "-1", "WITHSCORES"),
    };
  }

  const get = (id: string, as: TestClient) => api.get(`/api/v1/requests/${id}`, auth(as));
  const revoke = (id: string, as: TestClient) =>
    Promise.resolve(api.app.request(`/api/v1/requests/${id}/revoke`, { method: "POST", headers: auth(as) }));

  async function expectRefusedUnchanged(act: () => Promise<Response>, status: number, rule?: string) {
    const before = await state();
    const res = await act();
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const problem = (await res.json()) as { rule?: string; detail: string };
    if (rule) expect(problem.rule).toBe(rule);
    expect(await state()).toEqual(before);
    return problem;
  }

  describe("POST /api/v1/requests", () => {
    test("submitter → 202", async () => {
      expect((await api.post(samples.awsManaged(), auth("tester"))).status).toBe(202);
    });
    for (const role of ["operator", "auditor"] as const) {
      test(`${role} → 403 (rule role), nothing written, the body never read`, async () => {
        await expectRefusedUnchanged(() => api.post(samples.awsManaged(), auth(AS[role])), 403, "role");
        // Malformed JSON would be a 400 had the body been read: the role comes first.
        await expectRefusedUnchanged(() => api.post("{not json", auth(AS[role])), 403, "role");
      });
    }
  });

  describe("GET /api/v1/requests/{id}", () => {
    const cases: [Role, "own" | "other" | "unknown", number][] = [
      ["submitter", "own", 200],
      ["submitter", "other", 404],
      ["submitter", "unknown", 404],
      ["operator", "own", 200],
      ["operator", "other", 200],
      ["operator", "unknown", 404],
      ["auditor", "own", 200],
      ["auditor", "other", 200],
      ["auditor", "unknown", 404],
    ];
    for (const [role, whose, status] of cases) {
      test(`${role} reading ${whose} → ${status}`, async () => {
        const as = AS[role];
        const id =
          whose === "unknown" ? crypto.randomUUID() : await activeGrant(whose === "own" ? as : OTHER[role]);
        const before = await state();
        const res = await get(id, as);
        expect(res.status).toBe(status);
        const after = await state();
        if (status !== 200) {
          expect(after).toEqual(before);
          return;
        }
        expect(((await res.json()) as { correlation_id: string }).correlation_id).toBe(id);
        if (whose === "own") {
          expect(after).toEqual(before); // an owner's own reads are not audited
        } else {
          // A read by a non-owner is one access_log row naming the reader, and nothing else.
          expect({ ...after, access: before.access }).toEqual(before);
          expect(after.access.slice(before.access.length)).toEqual([
            expect.objectContaining({ client: as, role, action: "read", correlation_id: id }),
          ] as never);
        }
      });
    }

    test("another client's request is answered exactly like an unknown id, cached or not", async () => {
      const id = await activeGrant("other");
      const unknown = crypto.randomUUID();
      const bodyFor = async (res: Response) => {
        const text = await res.text();
        return {
          status: res.status,
          type: res.headers.get("content-type"),
          cache: res.headers.get("x-cache"),
          text,
        };
      };
      const asUnknown = await bodyFor(await get(unknown, "tester"));
      const expected = { ...asUnknown, text: asUnknown.text.replace(unknown, id) };
      expect(await bodyFor(await get(id, "tester"))).toEqual(expected);
      // The denied read cached nothing.
      expect(await api.r.redis.exists(id)).toBe(0);
      // Now the owner reads it, so it is cached: a HIT must not let the submitter see it either.
      expect((await get(id, "other")).headers.get("x-cache")).toBe("MISS");
      expect((await get(id, "other")).headers.get("x-cache")).toBe("HIT");
      expect(await bodyFor(await get(id, "tester"))).toEqual(expected);
      // The operator still reads it (from the cache) and that read is recorded.
      const before = (await state()).access.length;
      const op = await get(id, "operator");
      expect(op.status).toBe(200);
      expect(op.headers.get("x-cache")).toBe("HIT");
      expect((await state()).access.length).toBe(before + 1);
    });
  });

  describe("POST /api/v1/requests/{id}/revoke", () => {
    const cases: [Role, "own" | "other" | "unknown", number][] = [
      ["submitter", "own", 202],
      ["submitter", "other", 404],
      ["submitter", "unknown", 404],
      ["operator", "own", 202],
      ["operator", "other", 202],
      ["operator", "unknown", 404],
      ["auditor", "own", 403],
      ["auditor", "other", 403],
      ["auditor", "unknown", 403],
    ];
    for (const [role, whose, status] of cases) {
      test(`${role} revoking ${whose} → ${status}`, async () => {
        const as = AS[role];
        const id =
          whose === "unknown" ? crypto.randomUUID() : await activeGrant(whose === "own" ? as : OTHER[role]);
        if (status !== 202) {
          await expectRefusedUnchanged(() => revoke(id, as), status, status === 403 ? "role" : undefined);
          return;
        }
        const scheduledBefore = await api.r.redis.zrange(REVOCATION_SCHEDULE_KEY, 0, "-1", "WITHSCORES");
        const res = await revoke(id, as);
        expect(res.status).toBe(202);
        // Who asked is recorded with the revoke, and the revocation moved to now.
        const events = await api.db.sql`SELECT detail FROM request_events
                                         WHERE correlation_id = ${id} AND kind = 'REVOKE_REQUESTED'`;
        expect(events.map((e) => e.detail)).toEqual([{ by: as, role }] as never);
        const row = await findRequest(api.db.sql, id);
        expect(row?.revoke_at?.getTime() ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(Date.now());
        expect(row?.expires_at?.getTime()).toBeGreaterThan(Date.now()); // what was asked for is kept
        expect(await api.r.redis.zrange(REVOCATION_SCHEDULE_KEY, 0, "-1", "WITHSCORES")).not.toEqual(
          scheduledBefore,
        );
      });
    }

    test("an operator is held to its own guardrails: awsop may revoke an AWS grant, not an Azure one", async () => {
      const azure = await activeGrant("tester", "azure");
      const problem = await expectRefusedUnchanged(() => revoke(azure, "awsop"), 403, "providers");
      expect(problem.detail).toContain("awsop");
      expect((await revoke(await activeGrant("tester", "aws"), "awsop")).status).toBe(202);
    });

    test("a submitter is held to its guardrails on its own grants too", async () => {
      const limitedApi = await createTestApi({
        policy: parsePolicyText(
          `clients:\n  tester:\n    providers: [aws]\n    actions: [grant]\n    aws: { policy_arns: ["**"] }\n`,
          "yaml",
          "grant-only.yaml",
        ),
      });
      try {
        const res = await limitedApi.post(samples.awsManaged(), auth("tester"));
        const { correlation_id } = (await res.json()) as { correlation_id: string };
        const refused = await limitedApi.app.request(`/api/v1/requests/${correlation_id}/revoke`, {
          method: "POST",
          headers: auth("tester"),
        });
        expect(refused.status).toBe(403);
        expect(((await refused.json()) as { rule: string }).rule).toBe("actions");
        const [row] = await limitedApi.db.sql`SELECT count(*)::int AS n FROM request_events
                                              WHERE kind = 'REVOKE_REQUESTED'`;
        expect(row?.n).toBe(0);
      } finally {
        await limitedApi.close();
      }
    });
  });

  test("every submit is an event naming its client", async () => {
    const res = await api.post(samples.awsManaged(), auth("other"));
    const { correlation_id } = (await res.json()) as { correlation_id: string };
    const audit = await api.db.sql`SELECT client, source, what FROM request_audit
                                   WHERE correlation_id = ${correlation_id} ORDER BY at`;
    expect(audit).toEqual([{ client: "other", source: "event", what: "RECEIVED" }] as never);
  });

  test("who looked at or changed a request is answerable from PostgreSQL", async () => {
    const id = await activeGrant("tester");
    await get(id, "tester"); // the owner: not recorded
    await get(id, "auditor");
    await get(id, "operator");
    expect((await revoke(id, "operator")).status).toBe(202);
    const audit = await api.db.sql`SELECT client, source, what FROM request_audit
                                   WHERE correlation_id = ${id} ORDER BY at, what`;
    expect(audit).toEqual([
      { client: "tester", source: "event", what: "RECEIVED" },
      { client: "auditor", source: "access", what: "read" },
      { client: "operator", source: "access", what: "read" },
      { client: "operator", source: "event", what: "REVOKE_REQUESTED" },
    ] as never);
  });

  test("access_log is append-only", async () => {
    await get(await activeGrant("tester"), "auditor");
    await expect(api.db.sql`UPDATE access_log SET client = 'someone-else'`).rejects.toThrow(/append-only/);
    await expect(api.db.sql`DELETE FROM access_log`).rejects.toThrow(/append-only/);
  });
});

describe("without a policy file every client is a submitter: ownership still holds", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  test("a client reads and revokes its own, and gets 404 for another's", async () => {
    const res = await api.post(samples.awsManaged(), auth("tester"));
    const { correlation_id: id } = (await res.json()) as { correlation_id: string };
    expect((await api.get(`/api/v1/requests/${id}`, auth("tester"))).status).toBe(200);
    expect((await api.get(`/api/v1/requests/${id}`, auth("operator"))).status).toBe(404);
    const revoke = (as: TestClient) =>
      api.app.request(`/api/v1/requests/${id}/revoke`, { method: "POST", headers: auth(as) });
    expect((await revoke("auditor")).status).toBe(404);
    expect((await revoke("tester")).status).toBe(202);
  });
});
