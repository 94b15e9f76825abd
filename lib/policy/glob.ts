/**
 * Glob matching for guardrail patterns: `*` is any run of characters (including "/", as in IAM's
 * own ARN wildcards), `?` exactly one, everything else literal. Whole-string match.
 *
 * Deliberately not a RegExp: building one from operator text invites metacharacter mistakes
 * (an unescaped "." in an ARN matches anything), and `a*a*a*…b` compiled to `.*` runs is
 * exponential-ish backtracking on a long input. This is the classic two-pointer matcher that
 * retries only from the most recent `*`: O(pattern × text) at worst, no recursion.
 */
export type GlobMatcher = (text: string) => boolean;

export function compileGlob(pattern: string, opts: { caseInsensitive?: boolean } = {}): GlobMatcher {
  const fold = opts.caseInsensitive === true ? (s: string) => s.toLowerCase() : (s: string) => s;
  // Consecutive stars mean the same as one; collapsing them keeps the retry loop short.
  const p = Array.from(fold(pattern).replace(/\*{2,}/g, "*"));
  return (input) => matches(p, Array.from(fold(input)));
}

// Arrays of code points, so "?" consumes one character even outside the BMP.
function matches(p: readonly string[], t: readonly string[]): boolean {
  let pi = 0;
  let ti = 0;
  let star = -1; // index in p of the last "*" seen
  let mark = 0; // index in t that "*" is currently assumed to stop at
  while (ti < t.length) {
    // "*" first: a literal "*" in the text must not make the pattern's "*" match only itself.
    if (pi < p.length && p[pi] === "*") {
      star = pi++;
      mark = ti;
    } else if (pi < p.length && (p[pi] === "?" || p[pi] === t[ti])) {
      pi++;
      ti++;
    } else if (star !== -1) {
      // Let the last "*" swallow one more character and retry what follows it.
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === "*") pi++;
  return pi === p.length;
}
