import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { canonicalJson } from "./canonical-json.ts";

describe("canonicalJson", () => {
  test("key order does not matter, at any depth", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }),
    );
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });
  test("parses back to the same value, and a __proto__ key stays a key", () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => expect(JSON.parse(canonicalJson(v))).toEqual(v as never)));
    const tricky = JSON.parse('{"__proto__":{"x":1},"a":1}') as unknown;
    expect(canonicalJson(tricky)).toBe('{"__proto__":{"x":1},"a":1}');
  });
});
