import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { awsGroup, awsInline, awsManaged, azureById, azureByName, NOW, OPTS } from "./fixtures.ts";
import { type ParseResult, parseRequestPayload } from "./request.ts";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** The invariant: never a throw, and a refusal always says where. */
function assertWellFormed(result: ParseResult): void {
  if (result.ok) {
    expect(result.value.payload).toBeDefined();
    return;
  }
  expect(result.issues.length).toBeGreaterThanOrEqual(1);
  for (const issue of result.issues) {
    expect(issue.pointer.startsWith("/")).toBe(true);
    expect(typeof issue.detail).toBe("string");
  }
}

const VALID: readonly Json[] = [awsManaged, awsGroup, awsInline, azureByName, azureById].map(
  (b) => JSON.parse(JSON.stringify(b)) as Json,
);

/** Every path to a value inside `v` (the root included). */
function pathsOf(v: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out = [prefix];
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) out.push(...pathsOf(x, [...prefix, i]));
  } else if (v !== null && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) out.push(...pathsOf(x, [...prefix, k]));
  }
  return out;
}

type Mutation =
  | { kind: "replace"; value: Json }
  | { kind: "delete" }
  | { kind: "add"; key: string; value: Json };

/** A copy of `v` with one change at `path`. */
function mutate(v: Json, path: readonly (string | number)[], m: Mutation): Json {
  const [head, ...rest] = path;
  if (head === undefined) {
    if (m.kind === "replace") return m.value;
    if (m.kind === "add" && v !== null && typeof v === "object" && !Array.isArray(v))
      return { ...v, [m.key]: m.value };
    return v;
  }
  if (Array.isArray(v) && typeof head === "number") {
    if (rest.length === 0 && m.kind === "delete") return v.filter((_, i) => i !== head);
    return v.map((x, i) => (i === head ? mutate(x, rest, m) : x));
  }
  if (v !== null && typeof v === "object" && !Array.isArray(v) && typeof head === "string") {
    const copy: { [k: string]: Json } = { ...v };
    if (rest.length === 0 && m.kind === "delete") delete copy[head];
    else copy[head] = mutate(copy[head] ?? null, rest, m);
    return copy;
  }
  return v;
}

const json = fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Json>;
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("replace" as const), value: json }),
  fc.constant({ kind: "delete" as const }),
  fc.record({ kind: fc.constant("add" as const), key: fc.string({ maxLength: 12 }), value: json }),
);

describe("parseRequestPayload never throws", () => {
  test("on arbitrary JSON values", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (body) => assertWellFormed(parseRequestPayload(body, OPTS))),
      { numRuns: 500 },
    );
  });

  test("on arbitrary objects that carry a provider and an action", () => {
    const body = fc.record({
      provider: fc.constantFrom("aws", "azure"),
      action: fc.constantFrom("grant", "revoke"),
      principal: json,
      permission: json,
      role: json,
      scope: json,
      expires_at: json,
      duration: json,
    });
    fc.assert(
      fc.property(body, (b) => assertWellFormed(parseRequestPayload(b, OPTS))),
      { numRuns: 500 },
    );
  });

  test("on one- and two-step mutations of valid payloads", () => {
    const mutated = fc
      .tuple(fc.constantFrom(...VALID), fc.nat(), mutation, fc.nat(), mutation)
      .map(([base, i, m1, j, m2]) => {
        const once = mutate(base, pathsOf(base)[i % pathsOf(base).length] ?? [], m1);
        return mutate(once, pathsOf(once)[j % pathsOf(once).length] ?? [], m2);
      });
    const seen = { ok: 0, refused: 0 };
    fc.assert(
      fc.property(mutated, (b) => {
        const r = parseRequestPayload(b, OPTS);
        assertWellFormed(r);
        seen[r.ok ? "ok" : "refused"]++;
      }),
      { numRuns: 1000 },
    );
    // The generator explores both sides of the boundary, not only garbage.
    expect(seen.ok).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
  });

  test("an added unknown key is reported at its own pointer", () => {
    const known = new Set([
      ...["provider", "action", "principal", "permission", "role", "scope"],
      ...["expires_at", "duration", "requested_by", "ticket", "justification"],
    ]);
    const key = fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !known.has(k));
    fc.assert(
      fc.property(fc.constantFrom(...VALID), key, json, (base, k, value) => {
        const r = parseRequestPayload(mutate(base, [], { kind: "add", key: k, value }), OPTS);
        expect(r.ok).toBe(false);
        const pointer = `/${k.replaceAll("~", "~0").replaceAll("/", "~1")}`;
        if (!r.ok) expect(r.issues.map((i) => i.pointer)).toContain(pointer);
      }),
      { numRuns: 300 },
    );
  });
});

describe("expiry arithmetic", () => {
  test("a duration of n seconds is accepted iff 0 < n·1000 ≤ max, expiring at now + n s", () => {
    const maxSeconds = OPTS.maxDurationMs / 1000;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: maxSeconds * 2 }), (n) => {
        const r = parseRequestPayload({ ...awsManaged, duration: `PT${n}S` }, OPTS);
        expect(r.ok).toBe(n > 0 && n <= maxSeconds);
        if (r.ok) expect(r.value.expiresAt?.getTime()).toBe(NOW.getTime() + n * 1000);
        else expect(r.issues.map((i) => i.pointer)).toEqual(["/duration"]);
      }),
      { numRuns: 300 },
    );
  });
});
