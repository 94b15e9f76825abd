import { describe, expect, test } from "bun:test";
import { isSettled, type StatusView } from "./status-view.ts";

const view = (over: Partial<StatusView>): StatusView => ({
  correlation_id: "00000000-0000-4000-8000-000000000001",
  status: "SUCCESS",
  cloud_provider: "aws",
  action: "grant",
  client: "tester",
  received_at: "2026-12-01T00:00:00.000Z",
  completed_at: null,
  error_details: null,
  expires_at: "2026-12-01T02:00:00.000Z",
  original_expires_at: "2026-12-01T02:00:00.000Z",
  revoke_at: "2026-12-01T02:00:00.000Z",
  ended_by: null,
  pre_existing: false,
  revocation_status: "SCHEDULED",
  revoked_at: null,
  revocation_error: null,
  request: {},
  ...over,
});

// Only views nothing will change again are cached for the long TTL (the stale-SET race).
describe("isSettled", () => {
  test("a grant still to be revoked is not settled, whether it succeeded or failed", () => {
    expect(isSettled(view({}))).toBe(false);
    expect(isSettled(view({ status: "FAILED", revocation_status: "SCHEDULED" }))).toBe(false);
  });
  test("a grant whose revocation ended, a failure that owes nothing, a finished revoke request are settled", () => {
    for (const revocation_status of ["REVOKED", "SKIPPED", "FAILED"] as const) {
      expect(isSettled(view({ revocation_status }))).toBe(true);
    }
    expect(isSettled(view({ status: "FAILED", revocation_status: null }))).toBe(true);
    expect(isSettled(view({ action: "revoke", expires_at: null, revocation_status: null }))).toBe(true);
  });
  test("work not finished is not settled", () => {
    for (const status of ["PENDING", "PROCESSING"] as const) {
      expect(isSettled(view({ status, revocation_status: null }))).toBe(false);
    }
  });
});
