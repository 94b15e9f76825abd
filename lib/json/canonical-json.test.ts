import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { canonicalJson } from "./canonical-json.ts";

describe("canonicalJson", () => {
  test("-0 is written as 0, so a body with -0 and one with 0 are the same identity", () => {
    expect(canonicalJson(-0)).toBe("0");
    expect(canonicalJson({ a: [-0], b: -0 })).toBe(canonicalJson({ b: 0, a: [0] }));
  });
  test("key order does not matter, at any depth", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }),
    );
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });
  test("parses back to what JSON itself gives back, and a __proto__ key stays a key", () => {
    // Compared with a plain JSON round trip: JSON has no -0 (JSON.stringify writes it as 0, and
    // PostgreSQL's jsonb stores 0), so neither has canonical JSON.
    fc.assert(
      fc.property(fc.jsonValue(), (v) =>
        expect(JSON.parse(canonicalJson(v))).toEqual(JSON.parse(JSON.stringify(v)) as never),
      ),
    );
    const tricky = JSON.parse('{"__proto__":{"x":1},"a":1}') as unknown;
    expect(canonicalJson(tricky)).toBe('{"__proto__":{"x":1},"a":1}');
  });
});
