import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestDatabase, type TestDatabase } from "../../tests/helpers/db.ts";
import { backlogStats, revocationStats } from "./obligation-stats.ts";

// The counts behind csecbridge_revocation_obligations_open, _revocations_due, _late,
// _oldest_due_seconds, _failed and _requests_unfinished, on rows in each state.
describe("obligation stats", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    const row = async (
      provider: "aws" | "azure",
      fields: {
        status: string;
        revocation: string | null;
        preExisting: boolean | null;
        revokeInMs: number | null;
      },
    ) => {
      const id = crypto.randomUUID();
      await db.sql`
        INSERT INTO requests (correlation_id, status, cloud_provider, action, client, request_payload, request_hash,
                              access_key, principal, revocation_status, pre_existing, revoke_at, updated_at)
        VALUES (${id}, ${fields.status}, ${provider}, 'grant', 't', '{}'::jsonb, 'h', ${`k-${id}`}, 'p',
                ${fields.revocation}, ${fields.preExisting},
                ${fields.revokeInMs === null ? null : new Date(Date.now() + fields.revokeInMs)},
                now() - interval '10 minutes')`;
    };
    // aws: two open (one future, one due 5 min ago = late), one pre-existing due (due, not an obligation),
    // one FAILED revocation, one PENDING request.
    await row("aws", {
      status: "SUCCESS",
      revocation: "SCHEDULED",
      preExisting: false,
      revokeInMs: 3_600_000,
    });
    await row("aws", {
      status: "SUCCESS",
      revocation: "SCHEDULED",
      preExisting: false,
      revokeInMs: -300_000,
    });
    await row("aws", { status: "SUCCESS", revocation: "SCHEDULED", preExisting: true, revokeInMs: -1000 });
    await row("aws", { status: "SUCCESS", revocation: "FAILED", preExisting: false, revokeInMs: -60_000 });
    await row("aws", { status: "PENDING", revocation: null, preExisting: null, revokeInMs: 3_600_000 });
    // azure: one just due (not late yet), one REVOKED (counts nowhere).
    await row("azure", { status: "SUCCESS", revocation: "SCHEDULED", preExisting: false, revokeInMs: -1000 });
    await row("azure", { status: "SUCCESS", revocation: "REVOKED", preExisting: false, revokeInMs: -60_000 });
  });
  afterAll(async () => {
    await db?.drop();
  });

  test("open, due, late, oldest due and failed, per provider (every provider listed)", async () => {
    const stats = await revocationStats(db.sql, 30_000);
    const aws = stats.find((s) => s.provider === "aws");
    const azure = stats.find((s) => s.provider === "azure");
    expect(aws).toMatchObject({ open: 2, due: 2, late: 1, failed: 1 });
    expect(aws?.oldestDueSeconds).toBeGreaterThan(290);
    expect(aws?.oldestDueSeconds).toBeLessThan(320);
    expect(azure).toMatchObject({ open: 1, due: 1, late: 0, failed: 0 });
    expect(azure?.oldestDueSeconds).toBeLessThan(30);
    // A longer threshold makes nothing late.
    expect((await revocationStats(db.sql, 600_000)).every((s) => s.late === 0)).toBe(true);
  });

  test("unfinished requests by status, with the age of the stalest", async () => {
    const backlog = await backlogStats(db.sql);
    expect(backlog).toHaveLength(1);
    expect(backlog[0]).toMatchObject({ provider: "aws", status: "PENDING", count: 1 });
    expect(backlog[0]?.oldestSeconds).toBeGreaterThan(590);
  });
});
