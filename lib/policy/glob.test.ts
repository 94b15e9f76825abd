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

  test("* is any run within one path segment, including none", () => {
    expect(m("arn:aws:iam::aws:policy/ReadOnly*", "arn:aws:iam::aws:policy/ReadOnlyAccess")).toBe(true);
    expect(m("arn:aws:iam::aws:policy/ReadOnly*", "arn:aws:iam::aws:policy/ReadOnly")).toBe(true);
    expect(m("arn:aws:iam::aws:policy/ReadOnly*", "arn:aws:iam::aws:policy/AdministratorAccess")).toBe(false);
    expect(m("arn:aws:iam::123456789012:policy/*", "arn:aws:iam::123456789012:policy/reader")).toBe(true);
    expect(m("oncall-*", "oncall-")).toBe(true);
    expect(m("*-admins", "db-admins")).toBe(true);
    expect(m("a*b*c", "aXXbYYc")).toBe(true);
    expect(m("a*b*c", "aXXcYYb")).toBe(false);
  });

  test("* stops at /: ReadOnly* does not admit a path, dot segments or not", () => {
    const ro = "arn:aws:iam::aws:policy/ReadOnly*";
    expect(m(ro, "arn:aws:iam::aws:policy/ReadOnly/../AdministratorAccess")).toBe(false);
    expect(m(ro, "arn:aws:iam::aws:policy/ReadOnlyAccess/x")).toBe(false);
    expect(m("arn:aws:iam::123456789012:policy/*", "arn:aws:iam::123456789012:policy/team/x")).toBe(false);
    expect(m("user/*", "user/a/b")).toBe(false);
    expect(m("*", "a/b")).toBe(false);
    expect(m("*", "")).toBe(true);
  });

  test("** is any run, / included", () => {
    expect(m("arn:aws:iam::123456789012:policy/**", "arn:aws:iam::123456789012:policy/team/x")).toBe(true);
    expect(m("arn:aws:iam::123456789012:policy/**", "arn:aws:iam::123456789012:policy/x")).toBe(true);
    expect(m("arn:aws:iam::123456789012:policy/**", "arn:aws:iam::123456789012:policy/")).toBe(true);
    expect(m("a/**/z", "a/b/c/z")).toBe(true);
    expect(m("a/**/z", "a/b/z")).toBe(true);
    expect(m("a/**/z", "a/z")).toBe(false); // the two slashes are literal
    expect(m("**", "a/b/c")).toBe(true);
    expect(m("***", "a/b/c")).toBe(true); // three or more stars are one **
    expect(m("team-**-read", "team-a/b-read")).toBe(true);
    expect(m("team-*-read", "team-a/b-read")).toBe(false);
  });

  test("? is exactly one character, astral ones included", () => {
    expect(m("dev?", "dev1")).toBe(true);
    expect(m("dev?", "dev")).toBe(false);
    expect(m("dev?", "dev12")).toBe(false);
    expect(m("team-?", "team-🚒")).toBe(true);
  });

  test("? does not match /", () => {
    expect(m("a?b", "a/b")).toBe(false);
    expect(m("a??", "a/b")).toBe(false);
    expect(m("a**", "a/b")).toBe(true);
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

  // A backtracking matcher would not finish these before the test's timeout; this one is linear.
  test("adversarial patterns finish (no catastrophic backtracking)", () => {
    const pattern = `${"a*".repeat(60)}b`;
    const text = "a".repeat(4096);
    expect(m(pattern, text)).toBe(false);
    expect(m("*".repeat(500), text)).toBe(true);
    expect(m(`${"a*/**".repeat(40)}b`, `${"a/".repeat(2000)}`)).toBe(false);
  });

  // The reference: the same semantics as an escaped, anchored RegExp (** → anything, * and ? → not "/").
  const toRegExp = (p: string) =>
    new RegExp(
      `^${p
        .split(/(\*{2,}|\*|\?)/)
        .map((part) =>
          part.startsWith("**")
            ? "[^]*"
            : part === "*"
              ? "[^/]*"
              : part === "?"
                ? "[^/]"
                : part.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"),
        )
        .join("")}$`,
      "u",
    );

  test("agrees with the reference RegExp on random inputs", () => {
    const alphabet = fc.constantFrom("a", "b", ".", "*", "?", "/", "(");
    fc.assert(
      fc.property(
        fc.string({ unit: alphabet, maxLength: 8 }),
        fc.string({ unit: alphabet, maxLength: 10 }),
        (p, t) => {
          expect(m(p, t)).toBe(toRegExp(p).test(t));
        },
      ),
      { numRuns: 3000 },
    );
  });

  test("agrees with the reference on ARN-shaped inputs, dot segments included", () => {
    const seg = fc.constantFrom("ReadOnly", "ReadOnlyAccess", "..", ".", "", "team-a", "Admin*", "x?", "**");
    const path = fc.array(seg, { minLength: 1, maxLength: 4 }).map((s) => s.join("/"));
    fc.assert(
      fc.property(path, path, (p, t) => {
        const pattern = `arn:aws:iam::aws:policy/${p}`;
        const text = `arn:aws:iam::aws:policy/${t.replaceAll("*", "").replaceAll("?", "")}`;
        expect(m(pattern, text)).toBe(toRegExp(pattern).test(text));
      }),
      { numRuns: 2000 },
    );
  });

  test("text left over once the pattern is used up never matches; a position the text left behind never comes back", () => {
    expect(m("a", "ab")).toBe(false);
    expect(m("ReadOnly", "ReadOnlyAccess")).toBe(false);
    expect(m("a?", "abc")).toBe(false);
    // "b" alone must not match "ab" by starting at the pattern's second character.
    expect(m("ab", "b")).toBe(false);
    expect(m("xy*", "y")).toBe(false);
    expect(m("a/b", "/b")).toBe(false);
  });

  test("case-insensitive is lower-casing, character by character as ARM compares: ß is not ss", () => {
    expect(m("Stra\u00dfe Reader", "STRASSE READER", true)).toBe(false);
    expect(m("Stra\u00dfe Reader", "stra\u00dfe reader", true)).toBe(true);
  });
});
