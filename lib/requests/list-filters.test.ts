import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { z } from "zod";
import {
  ACTION_VALUES,
  filtersFromQuery,
  filtersToQuery,
  type ListFilters,
  listFiltersQuerySchema,
  listFiltersSchema,
  listValueSchema,
  MAX_LIST_VALUES,
  PROVIDER_VALUES,
  principalCandidates,
  REVOCATION_STATUS_VALUES,
  STATUS_VALUES,
} from "./list-filters.ts";

const FULL: ListFilters = {
  provider: { not_in: ["azure"] },
  status: { in: ["PENDING", "FAILED"] },
  revocation_status: { in: ["SCHEDULED"] },
  action: { in: ["grant"] },
  from: "2026-11-29T23:00:00.000Z",
  to: "2026-11-30T23:00:00.000Z",
  expires_from: "2026-11-30T10:00:00.000Z",
  expires_to: "2026-12-01T10:00:00.000Z",
  stuck: true,
  principal: ["user/alice", "role/a,b=c"],
  ticket: ["CHG-1234"],
  client: ["hr"],
  text: ["db migration & more", "x"],
};

describe("filtersToQuery / filtersFromQuery", () => {
  test("a canonical, readable query string", () => {
    expect(filtersToQuery(FULL).toString()).toBe(
      "provider_not=azure&status=PENDING&status=FAILED&revocation_status=SCHEDULED&action=grant" +
        "&from=2026-11-29T23%3A00%3A00.000Z&to=2026-11-30T23%3A00%3A00.000Z" +
        "&expires_from=2026-11-30T10%3A00%3A00.000Z&expires_to=2026-12-01T10%3A00%3A00.000Z&stuck=true" +
        "&principal=user%2Falice&principal=role%2Fa%2Cb%3Dc&ticket=CHG-1234&client=hr" +
        "&text=db+migration+%26+more&text=x",
    );
  });

  test("round trip", () => {
    expect(filtersFromQuery(filtersToQuery(FULL).toString())).toEqual({ ok: true, filters: FULL });
    expect(filtersFromQuery(filtersToQuery({}))).toEqual({ ok: true, filters: {} });
  });

  test("round trip for any valid filters", () => {
    const set = <T extends string>(values: readonly T[]) =>
      fc
        .uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: values.length })
        .chain((vs) => fc.constantFrom({ in: sorted(values, vs) }, { not_in: sorted(values, vs) }));
    const iso = fc
      .date({
        min: new Date("1970-01-01T00:00:00Z"),
        max: new Date("2200-01-01T00:00:00Z"),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString());
    const value = fc
      .string({ minLength: 1, maxLength: 20 })
      .filter((s) => listFiltersSchema.shape.ticket.safeParse([s]).success);
    const list = fc.uniqueArray(value, { minLength: 1, maxLength: 4 });
    const filters = fc.record(
      {
        provider: set(PROVIDER_VALUES),
        status: set(STATUS_VALUES),
        revocation_status: set(REVOCATION_STATUS_VALUES),
        action: set(ACTION_VALUES),
        from: iso,
        to: iso,
        expires_from: iso,
        expires_to: iso,
        stuck: fc.constant(true as const),
        principal: list,
        ticket: list,
        client: list,
        text: list,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(filters, (f) => {
        expect(filtersFromQuery(filtersToQuery(f))).toEqual({ ok: true, filters: f });
      }),
    );
  });

  test("lenient with hand-typed URLs: commas, case, offsets, other parameters", () => {
    expect(
      filtersFromQuery(
        "provider=AWS,azure&status=failed&from=2026-11-30T01:00:00%2B01:00&limit=50&cursor=abc",
      ),
    ).toEqual({
      ok: true,
      filters: {
        provider: { in: ["aws", "azure"] },
        status: { in: ["FAILED"] },
        from: "2026-11-30T00:00:00.000Z",
      },
    });
    // Given both ways, the included values that are not excluded.
    expect(filtersFromQuery("provider=aws&provider=azure&provider_not=azure")).toEqual({
      ok: true,
      filters: { provider: { in: ["aws"] } },
    });
    // Empty values are absent values (an empty form field).
    expect(filtersFromQuery("provider=&principal=&from=")).toEqual({ ok: true, filters: {} });
  });

  test("every bad parameter is reported, by its name", () => {
    const r = filtersFromQuery(
      "provider=gcp&status_not=FAILED&status=FAILED&from=yesterday&stuck=yes&ticket=a%00b",
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.pointer).sort()).toEqual([
      "/from",
      "/provider",
      "/status",
      "/stuck",
      "/ticket",
    ]);
    const neg = filtersFromQuery("provider_not=gcp");
    expect(neg.ok ? [] : neg.issues.map((i) => i.pointer)).toEqual(["/provider_not"]);
  });
});

describe("filtersFromQuery: exact reading and refusals", () => {
  const pointers = (q: string) => {
    const r = filtersFromQuery(q);
    return r.ok ? [] : r.issues.map((i) => i.pointer);
  };

  test("sets come back in canonical order, trimmed, without repeats", () => {
    expect(filtersFromQuery("status=FAILED,%20pending&status=FAILED")).toEqual({
      ok: true,
      filters: { status: { in: ["PENDING", "FAILED"] } },
    });
    expect(filtersFromQuery("revocation_status_not=skipped,SCHEDULED")).toEqual({
      ok: true,
      filters: { revocation_status: { not_in: ["SCHEDULED", "SKIPPED"] } },
    });
  });

  test("instants: any RFC 3339 offset becomes UTC; no offset, or no real date, is refused", () => {
    expect(
      filtersFromQuery(
        "from=2026-11-30T01:00:00%2B0100&to=2026-11-30T00:00:00-05:00&expires_from=2026-11-30T01:00:00z",
      ),
    ).toEqual({
      ok: true,
      filters: {
        from: "2026-11-30T00:00:00.000Z",
        to: "2026-11-30T05:00:00.000Z",
        expires_from: "2026-11-30T01:00:00.000Z",
      },
    });
    // Date.parse reads each of these (local time, a comment), but none names an instant in UTC.
    expect(pointers("from=2026-11-30T00:00:00")).toEqual(["/from"]);
    expect(pointers("to=Nov%2030%202026%2010:00:00%20(Z)")).toEqual(["/to"]);
    expect(pointers("expires_to=2026-13-01T00:00:00Z")).toEqual(["/expires_to"]);
  });

  test("empty stuck and list values are absent; list values lose repeats", () => {
    expect(filtersFromQuery("stuck=&ticket=&client=hr&client=hr&client=")).toEqual({
      ok: true,
      filters: { client: ["hr"] },
    });
  });

  test("a set whose every included value is excluded is refused, even though each side is valid", () => {
    expect(filtersFromQuery("provider=aws&provider_not=aws")).toEqual({
      ok: false,
      issues: [{ pointer: "/provider", detail: "every included value is also excluded" }],
    });
  });

  test("one issue per parameter, with the schema's message", () => {
    expect(filtersFromQuery("ticket=a%00b&ticket=c%01d")).toEqual({
      ok: false,
      issues: [{ pointer: "/ticket", detail: "must not contain control characters" }],
    });
  });
});

describe("listFiltersSchema", () => {
  const issues = (f: unknown) => listFiltersSchema.safeParse(f).error?.issues.map((i) => i.message) ?? [];

  test("a set may not repeat a value, and says what it must be", () => {
    expect(issues({ provider: { in: ["aws", "aws"] } })).toEqual(["must not repeat a value"]);
    expect(issues({ provider: { in: ["aws", "azure"] } })).toEqual([]);
    expect(issues({ provider: ["aws"] })).toEqual(["must be {in: [...]} or {not_in: [...]} of aws, azure"]);
  });

  test("instants: UTC only, with the example in the message", () => {
    expect(issues({ from: "2026-11-30T01:00:00+01:00" })).toEqual([
      "must be an ISO 8601 instant in UTC, e.g. 2026-11-30T00:00:00Z",
    ]);
  });

  test("list values: 1 to 50 of them, each 1 to 256 printable characters of well-formed Unicode", () => {
    const ok = (v: string) => listValueSchema.safeParse(v).success;
    expect(ok("x".repeat(256))).toBe(true);
    expect(ok("x".repeat(257))).toBe(false);
    expect(ok("")).toBe(false);
    expect(ok("café ☕ role/a,b=c")).toBe(true);
    for (const c of ["\u0000", "\u001f", "\u007f", "\u0085", "\u009f", "\u2028", "\u2029"]) {
      expect(listValueSchema.safeParse(`a${c}`).error?.issues.map((i) => i.message)).toEqual([
        "must not contain control characters",
      ]);
      expect(ok(`${c}a`)).toBe(false);
    }
    expect(ok("\u0020\u00a0\u2027\u202a")).toBe(true);
    expect(listValueSchema.safeParse("a\ud800").error?.issues.map((i) => i.message)).toEqual([
      "must be well-formed Unicode",
    ]);
    const many = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);
    expect(listFiltersSchema.safeParse({ ticket: many(MAX_LIST_VALUES) }).success).toBe(true);
    expect(listFiltersSchema.safeParse({ ticket: many(MAX_LIST_VALUES + 1) }).success).toBe(false);
    expect(listFiltersSchema.safeParse({ ticket: [] }).success).toBe(false);
    expect(listFiltersSchema.safeParse({ stuck: false }).success).toBe(false);
  });
});

describe("listFiltersQuerySchema", () => {
  /** A query string as the schema sees it: array fields get every value, others the one value. */
  const asObject = (q: URLSearchParams) =>
    Object.fromEntries(
      [...new Set(q.keys())].map((k) => {
        const field = listFiltersQuerySchema.shape[k];
        const isArray = field instanceof z.ZodOptional && field.unwrap() instanceof z.ZodArray;
        return [k, isArray ? q.getAll(k) : q.get(k)];
      }),
    );

  test("names every parameter filtersToQuery writes, and nothing else", () => {
    const written = new Set(filtersToQuery(FULL).keys());
    for (const set of ["provider", "status", "revocation_status", "action"] as const) {
      for (const k of [set, `${set}_not`]) written.add(k);
    }
    expect(new Set(Object.keys(listFiltersQuerySchema.shape))).toEqual(written);
  });

  test("accepts the canonical query of the full filter, and refuses a bad value", () => {
    const q = filtersToQuery(FULL);
    expect(listFiltersQuerySchema.safeParse(asObject(q)).error?.issues ?? []).toEqual([]);
    expect(listFiltersQuerySchema.safeParse({ status: ["DONE"] }).success).toBe(false);
    expect(listFiltersQuerySchema.safeParse({ from: "yesterday" }).success).toBe(false);
    expect(listFiltersQuerySchema.safeParse({ stuck: "yes" }).success).toBe(false);
    expect(listFiltersQuerySchema.safeParse({ from: "2026-11-30T01:00:00+01:00" }).success).toBe(true);
    expect(listFiltersQuerySchema.safeParse({ provider_not: [] }).success).toBe(false);
  });

  test("describes every parameter for the OpenAPI document", () => {
    const described = Object.fromEntries(
      Object.entries(listFiltersQuerySchema.shape).map(([k, v]) => [k, v.description]),
    );
    expect(described).toEqual({
      provider: "Any of these provider values (repeat the key)",
      provider_not: "None of these provider values (repeat the key)",
      status: "Any of these status values (repeat the key)",
      status_not: "None of these status values (repeat the key)",
      revocation_status: "Any of these revocation_status values (repeat the key)",
      revocation_status_not: "None of these revocation_status values (repeat the key)",
      action: "Any of these action values (repeat the key)",
      action_not: "None of these action values (repeat the key)",
      from: "received_at at or after this instant (RFC 3339)",
      to: "received_at before this instant (RFC 3339)",
      expires_from: "expires_at at or after this instant (RFC 3339)",
      expires_to: "expires_at before this instant (RFC 3339)",
      stuck: "PENDING or PROCESSING and unchanged for 5 minutes",
      principal: "Any of these principal values (repeat the key)",
      ticket: "Any of these ticket values (repeat the key)",
      client: "Any of these client values (repeat the key)",
      text: "Every phrase occurs in the ticket, the principal or the justification (repeat the key)",
    });
  });
});

describe("principalCandidates", () => {
  test("typed names as they are, object ids lower-cased, bare names any AWS type", () => {
    expect(principalCandidates("role/deployer")).toEqual(["role/deployer"]);
    expect(principalCandidates("3F2B8C1E-9A4D-4E6F-8B2A-1C3D5E7F9A0B")).toEqual([
      "3f2b8c1e-9a4d-4e6f-8b2a-1c3d5e7f9a0b",
    ]);
    expect(principalCandidates("alice")).toEqual(["user/alice", "role/alice", "group/alice"]);
    // Only a whole GUID is an object id.
    const guid = "3F2B8C1E-9A4D-4E6F-8B2A-1C3D5E7F9A0B";
    expect(principalCandidates(`x${guid}`)).toEqual([`user/x${guid}`, `role/x${guid}`, `group/x${guid}`]);
    expect(principalCandidates(`${guid}x`)).toEqual([`user/${guid}x`, `role/${guid}x`, `group/${guid}x`]);
  });
});

function sorted<T extends string>(order: readonly T[], vs: readonly T[]): T[] {
  return order.filter((v) => vs.includes(v));
}
