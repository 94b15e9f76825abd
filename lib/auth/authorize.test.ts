// The role table of lib/auth/authorize.ts, cell by cell: every role × action, and the ownership
// rule on top. The API tests cover the common paths; these pin each cell so flipping one (a
// submitter allowed to export, an operator to extend, `&&` become `||`) fails a test.
import { describe, expect, test } from "bun:test";
import { PolicyDeniedError } from "../errors/http-errors.ts";
import type { Policy, Role } from "../policy/schema.ts";
import {
  type Action,
  assertMay,
  type Caller,
  callerFor,
  canExtend,
  canRead,
  canRevoke,
  isNonOwnerAccess,
  may,
  roleOf,
  visibilityFilter,
} from "./authorize.ts";

const ACTIONS: Action[] = [
  "submit",
  "read",
  "list",
  "search",
  "events",
  "stats",
  "export",
  "revoke",
  "extend",
  "redeliver",
];
// The table in authorize.ts's header comment, as data.
const ALLOWED: Record<Role, Action[]> = {
  submitter: ["submit", "read", "list", "search", "events", "revoke", "extend", "redeliver"],
  operator: ["read", "list", "search", "events", "stats", "revoke", "redeliver"],
  auditor: ["read", "list", "search", "events", "stats", "export"],
};
const caller = (role: Role, name = "alice"): Caller => ({ name, role });
const own = { client: "alice" };
const other = { client: "bob" };

describe("authorize: the role table", () => {
  test("each role may do exactly its actions", () => {
    for (const role of Object.keys(ALLOWED) as Role[]) {
      for (const action of ACTIONS) {
        expect({ role, action, may: may(caller(role), action) }).toEqual({
          role,
          action,
          may: ALLOWED[role].includes(action),
        });
      }
    }
  });

  test("assertMay throws the 403 naming rule role only for a forbidden action", () => {
    expect(() => assertMay(caller("operator"), "revoke")).not.toThrow();
    let thrown: unknown;
    try {
      assertMay(caller("auditor", "audit-bot"), "revoke");
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(PolicyDeniedError);
    expect((thrown as PolicyDeniedError).rule).toBe("role");
    expect((thrown as PolicyDeniedError).message).toBe(
      'client "audit-bot" has role auditor, which may not revoke (rule role)',
    );
  });

  test("a submitter reads, revokes and extends its own requests only", () => {
    const s = caller("submitter");
    expect([canRead(s, own), canRevoke(s, own), canExtend(s, own)]).toEqual([true, true, true]);
    expect([canRead(s, other), canRevoke(s, other), canExtend(s, other)]).toEqual([false, false, false]);
    expect(visibilityFilter(s)).toEqual({ client: "alice" });
  });

  test("an operator reads and revokes every client's requests and extends none", () => {
    const o = caller("operator");
    expect([canRead(o, other), canRevoke(o, other), canExtend(o, other)]).toEqual([true, true, false]);
    expect(canExtend(o, own)).toBe(false);
    expect(visibilityFilter(o)).toBeNull();
  });

  test("an auditor reads every client's requests and revokes or extends none", () => {
    const a = caller("auditor");
    expect([canRead(a, other), canRevoke(a, other), canExtend(a, other)]).toEqual([true, false, false]);
    expect([canRevoke(a, own), canExtend(a, own)]).toEqual([false, false]);
    expect(visibilityFilter(a)).toBeNull();
  });

  test("a read by anyone but the owner is a non-owner access", () => {
    expect(isNonOwnerAccess(caller("operator"), own)).toBe(false);
    expect(isNonOwnerAccess(caller("operator"), other)).toBe(true);
  });

  test("roles come from the policy file by name; everyone else is a submitter", () => {
    const policy: Policy = { clients: { ops: { role: "operator" }, audit: { role: "auditor" }, plain: {} } };
    expect(roleOf(policy, "ops")).toBe("operator");
    expect(callerFor(policy, "audit")).toEqual({ name: "audit", role: "auditor" });
    expect(roleOf(policy, "plain")).toBe("submitter");
    expect(roleOf(policy, "stranger")).toBe("submitter");
    // An inherited property name is not a client in the file.
    expect(roleOf(policy, "constructor")).toBe("submitter");
    expect(roleOf(null, "ops")).toBe("submitter");
  });
});
