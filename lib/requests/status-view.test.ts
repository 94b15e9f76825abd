import { describe, expect, test } from "bun:test";
import type { RequestRow } from "../db/requests.ts";
import { isSettled, type StatusView, toStatusView } from "./status-view.ts";

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
  test("a succeeded grant without expiry, and a revoke request with one, owe no revocation: settled", () => {
    expect(isSettled(view({ expires_at: null, revocation_status: null }))).toBe(true);
    expect(isSettled(view({ action: "revoke", revocation_status: null }))).toBe(true);
  });
  test("a succeeded expiring grant whose revocation is not scheduled yet is not settled", () => {
    expect(isSettled(view({ revocation_status: null }))).toBe(false);
  });
  test("work not finished is not settled", () => {
    for (const status of ["PENDING", "PROCESSING"] as const) {
      expect(isSettled(view({ status, revocation_status: null }))).toBe(false);
      // Unfinished even when, once done, it would owe no revocation.
      expect(isSettled(view({ status, action: "revoke", expires_at: null, revocation_status: null }))).toBe(
        false,
      );
      expect(isSettled(view({ status, expires_at: null, revocation_status: null }))).toBe(false);
    }
  });
});

const row = (over: Partial<RequestRow>): RequestRow => ({
  correlation_id: "00000000-0000-4000-8000-000000000002",
  status: "SUCCESS",
  cloud_provider: "azure",
  action: "grant",
  client: "tester",
  request_payload: { provider: "azure" },
  request_hash: "h",
  idempotency_key: null,
  access_key: "k",
  principal: "p",
  ticket: null,
  requested_by: null,
  received_at: new Date("2026-12-01T00:00:00.000Z"),
  updated_at: new Date("2026-12-01T00:00:01.000Z"),
  completed_at: null,
  error_details: null,
  attempts: 1,
  expires_at: null,
  revocation_status: null,
  revoked_at: null,
  revocation_error: null,
  provider_handle: null,
  revoke_at: null,
  pre_existing: null,
  lease_job: null,
  lease_until: null,
  requeues: 0,
  revocation_attempts: 0,
  original_expires_at: null,
  ended_by: null,
  ...over,
});

describe("toStatusView", () => {
  test("every public field is taken from its column, instants as ISO 8601", () => {
    const endedBy = { client: "ops", at: "2026-12-01T00:30:00.000Z", how: "early_revoke" as const };
    const v = toStatusView(
      row({
        status: "FAILED",
        completed_at: new Date("2026-12-01T00:00:02.000Z"),
        error_details: { code: "AccessDenied" },
        expires_at: new Date("2026-12-01T03:00:00.000Z"),
        original_expires_at: new Date("2026-12-01T02:00:00.000Z"),
        revoke_at: new Date("2026-12-01T00:30:00.000Z"),
        ended_by: endedBy,
        pre_existing: false,
        revocation_status: "REVOKED",
        revoked_at: new Date("2026-12-01T00:30:01.000Z"),
        revocation_error: { code: "Throttled" },
      }),
    );
    expect(v).toEqual({
      correlation_id: "00000000-0000-4000-8000-000000000002",
      status: "FAILED",
      cloud_provider: "azure",
      action: "grant",
      client: "tester",
      received_at: "2026-12-01T00:00:00.000Z",
      completed_at: "2026-12-01T00:00:02.000Z",
      error_details: { code: "AccessDenied" },
      expires_at: "2026-12-01T03:00:00.000Z",
      original_expires_at: "2026-12-01T02:00:00.000Z",
      revoke_at: "2026-12-01T00:30:00.000Z",
      ended_by: endedBy,
      pre_existing: false,
      revocation_status: "REVOKED",
      revoked_at: "2026-12-01T00:30:01.000Z",
      revocation_error: { code: "Throttled" },
      request: { provider: "azure" },
    });
  });
  test("null columns are null; a never-extended grant's original expiry is its expiry", () => {
    const v = toStatusView(row({ expires_at: new Date("2026-12-01T02:00:00.000Z") }));
    expect(v.original_expires_at).toBe("2026-12-01T02:00:00.000Z");
    for (const k of [
      "completed_at",
      "error_details",
      "revoke_at",
      "ended_by",
      "revoked_at",
      "revocation_error",
    ] as const) {
      expect(v[k]).toBeNull();
    }
    expect(toStatusView(row({})).original_expires_at).toBeNull();
  });
});
