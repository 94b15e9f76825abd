import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { compileGlob } from "./glob.ts";

const m = (pattern: string, text: string, caseInsensitive = false) =>
  compileGlob(pattern, { caseInsensitive })(text);

describe("compileGlob", () => {
  test("a pattern without wildcards matches only itself, whole", () => {
    expect(m("developers", "developers")).toBe(true);
    expect(m("developers", "developers2")).toBe(false);
    expect(m("developers", "xdevelopers")).toBe(false);
    expect(m("developers", "")).toBe(false);
    expect(m("", "")).toBe(true);
  });

  test("* is any run, including none and including /", () => {
    expect(m("arn:aws:iam::aws:policy/ReadOnly*", "arn:aws:iam::aws:policy/ReadOnlyAccess")).toBe(true);
    expect(m("arn:aws:iam::aws:policy/ReadOnly*", "arn:aws:iam::aws:policy/ReadOnly")).toBe(true);
    expect(m("arn:aws:iam::aws:policy/ReadOnly*", "arn:aws:iam::aws:policy/AdministratorAccess")).toBe(false);
    expect(m("arn:aws:iam::123456789012:policy/*", "arn:aws:iam::123456789012:policy/team/x")).toBe(true);
    expect(m("oncall-*", "oncall-")).toBe(true);
    expect(m("*-admins", "db-admins")).toBe(true);
    expect(m("a*b*c", "aXXbYYc")).toBe(true);
    expect(m("a*b*c", "aXXcYYb")).toBe(false);
  });

  test("? is exactly one character, astral ones included", () => {
    expect(m("dev?", "dev1")).toBe(true);
    expect(m("dev?", "dev")).toBe(false);
    expect(m("dev?", "dev12")).toBe(false);
    expect(m("team-?", "team-🚒")).toBe(true);
  });

  test("regex metacharacters are literal", () => {
    expect(m("a.b", "a.b")).toBe(true);
    expect(m("a.b", "axb")).toBe(false);
    for (const c of ["(", ")", "[", "]", "{", "}", "+", "^", "$", "|", "\\"]) {
      expect(m(`x${c}y`, `x${c}y`)).toBe(true);
      expect(m(`x${c}y`, "xy")).toBe(false);
    }
    expect(m("a+", "aaa")).toBe(false);
    expect(m("[ab]", "a")).toBe(false);
  });

  test("a literal * or ? in the text is still matched by the pattern's wildcard", () => {
    expect(m("a*", "a*b")).toBe(true);
    expect(m("a*c", "a*b*c")).toBe(true);
    expect(m("??", "?x")).toBe(true);
  });

  test("case-sensitive unless asked otherwise", () => {
    expect(m("Reader", "reader")).toBe(false);
    expect(m("Storage Blob Data *", "storage blob data reader", true)).toBe(true);
    expect(m("Storage Blob Data *", "Storage Queue Data Reader", true)).toBe(false);
  });

  test("adversarial patterns run in bounded time (no catastrophic backtracking)", () => {
    const pattern = `${"a*".repeat(60)}b`;
    const text = "a".repeat(4096);
    const started = performance.now();
    expect(m(pattern, text)).toBe(false);
    expect(m("*".repeat(500), text)).toBe(true);
    expect(performance.now() - started).toBeLessThan(500);
  });

  test("agrees with an escaped, anchored RegExp on random inputs", () => {
    const alphabet = fc.constantFrom("a", "b", ".", "*", "?", "/", "(");
    const toRegExp = (p: string) =>
      new RegExp(
        `^${Array.from(p)
          .map((c) => (c === "*" ? "[^]*" : c === "?" ? "." : c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")))
          .join("")}$`,
        "u",
      );
    fc.assert(
      fc.property(
        fc.string({ unit: alphabet, maxLength: 8 }),
        fc.string({ unit: alphabet, maxLength: 10 }),
        (p, t) => {
          expect(m(p, t)).toBe(toRegExp(p).test(t));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
