/**
 * Glob matching for guardrail patterns, whole-string:
 *   `*`  any run of characters except "/" (within one path segment, possibly empty)
 *   `**` any run of characters, "/" included (three or more stars mean the same)
 *   `?`  exactly one character except "/"
 *   everything else is literal (a "." is a dot).
 * So `arn:aws:iam::aws:policy/ReadOnly*` admits `.../ReadOnlyAccess` but not
 * `.../ReadOnly/../AdministratorAccess`; a pattern that means to cross "/" says so with `**`.
 *
 * Deliberately not a RegExp: building one from operator text invites metacharacter mistakes
 * (an unescaped "." in an ARN matches anything), and nested wildcards compiled for a backtracking
 * engine can take exponential time. This simulates the pattern's automaton Thompson-style: one set
 * of live pattern positions, advanced once per input character, so O(pattern × text) at worst
 * whatever the pattern, with no recursion and no backtracking.
 */
export type GlobMatcher = (text: string) => boolean;

type Token = { kind: "literal"; ch: string } | { kind: "one" } | { kind: "star" } | { kind: "globstar" };

export function compileGlob(pattern: string, opts: { caseInsensitive?: boolean } = {}): GlobMatcher {
  const fold = opts.caseInsensitive === true ? (s: string) => s.toLowerCase() : (s: string) => s;
  const tokens = tokenize(Array.from(fold(pattern)));
  return (input) => matches(tokens, Array.from(fold(input)));
}

// Arrays of code points, so "?" consumes one character even outside the BMP.
function tokenize(chars: readonly string[]): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === "*") {
      let run = 1;
      while (chars[i + 1] === "*") {
        run++;
        i++;
      }
      tokens.push({ kind: run >= 2 ? "globstar" : "star" });
    } else if (c === "?") tokens.push({ kind: "one" });
    else if (c !== undefined) tokens.push({ kind: "literal", ch: c });
  }
  return tokens;
}

function matches(tokens: readonly Token[], text: readonly string[]): boolean {
  const n = tokens.length;
  // live[i] = 1: after the text read so far, the pattern can be just before token i.
  let live = new Uint8Array(n + 1);
  let next = new Uint8Array(n + 1);
  live[0] = 1;
  close(tokens, live);
  for (const ch of text) {
    next.fill(0);
    for (let i = 0; i < n; i++) {
      if (live[i] === 0) continue;
      const t = tokens[i] as Token;
      switch (t.kind) {
        case "literal":
          if (t.ch === ch) next[i + 1] = 1;
          break;
        case "one":
          if (ch !== "/") next[i + 1] = 1;
          break;
        case "star":
          if (ch !== "/") next[i] = 1;
          break;
        case "globstar":
          next[i] = 1;
          break;
      }
    }
    close(tokens, next);
    if (!next.includes(1)) return false;
    [live, next] = [next, live];
  }
  return live[n] === 1;
}

/** A star may match nothing: a live position before a star makes the one after it live too. */
function close(tokens: readonly Token[], live: Uint8Array): void {
  for (let i = 0; i < tokens.length; i++) {
    const k = tokens[i]?.kind;
    if (live[i] === 1 && (k === "star" || k === "globstar")) live[i + 1] = 1;
  }
}
