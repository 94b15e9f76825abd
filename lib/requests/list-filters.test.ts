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
  });
});

describe("principalCandidates", () => {
  test("typed names as they are, object ids lower-cased, bare names any AWS type", () => {
    expect(principalCandidates("role/deployer")).toEqual(["role/deployer"]);
    expect(principalCandidates("3F2B8C1E-9A4D-4E6F-8B2A-1C3D5E7F9A0B")).toEqual([
      "3f2b8c1e-9a4d-4e6f-8b2a-1c3d5e7f9a0b",
    ]);
    expect(principalCandidates("alice")).toEqual(["user/alice", "role/alice", "group/alice"]);
  });
});

function sorted<T extends string>(order: readonly T[], vs: readonly T[]): T[] {
  return order.filter((v) => vs.includes(v));
}
