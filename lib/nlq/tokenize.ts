/**
 * Splitting a search text into words. Every character of the input ends up in exactly one token or
 * is a separator (white space, control characters, or punctuation around and between words), so
 * a word can never be dropped on the way: the parser either consumes a token or reports it.
 */

export interface Token {
  /** The word as typed, without surrounding punctuation (what `unknown` reports). */
  readonly text: string;
  /** For matching: NFKC, lower case, a trailing possessive "'s" removed ("Today's" → "today"). */
  readonly norm: string;
  /** Position in the input: `input.slice(start, end) === text`. */
  readonly start: number;
  readonly end: number;
  /** "quoted": the inside of "…" (a free-text phrase); "dash": a lone -, – or — (ranges). */
  readonly kind: "word" | "quoted" | "dash";
}

/**
 * A quoted phrase (straight or curly quotes) or a run of anything but white space and control
 * characters. Each alternative is a single character class repeated: no nested quantifiers, so
 * matching is linear in the input (no catastrophic backtracking).
 */
const CHUNK = /"([^"]*)"|\u201c([^\u201d]*)\u201d|[^\s\p{Cc}]+/gu;

/** Stripped from both ends of a word; a word made only of these (and dashes) is a separator. */
const EDGE_PUNCT = new Set([
  ..."\"'`,;:!?.()[]{}<>\u201c\u201d\u2018\u2019\u00ab\u00bb\u2026\u00b7\u2022*=&|#~^",
]);
const DASHES = new Set(["-", "\u2013", "\u2014"]);

export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  for (const m of input.matchAll(CHUNK)) {
    const at = m.index;
    const quoted = m[1] ?? m[2];
    if (quoted !== undefined) {
      // The phrase without its quotes; surrounding white space inside the quotes is not part of it.
      const lead = quoted.length - quoted.trimStart().length;
      const text = quoted.trim();
      if (text !== "") tokens.push(makeToken(text, at + 1 + lead, "quoted"));
      continue;
    }
    pushWord(tokens, m[0], at);
  }
  return tokens;
}

function pushWord(tokens: Token[], chunk: string, at: number): void {
  const chars = [...chunk];
  if (chars.every((c) => DASHES.has(c))) {
    if (chars.length === 1) tokens.push(makeToken(chunk, at, "dash"));
    return;
  }
  // "!=" and "<>" are made of edge punctuation but mean "not" (lexicon.ts): kept as words.
  if (chunk === "!=" || chunk === "<>") {
    tokens.push(makeToken(chunk, at, "word"));
    return;
  }
  let lo = 0;
  let hi = chars.length;
  while (lo < hi && EDGE_PUNCT.has(chars[lo] ?? "")) lo++;
  while (hi > lo && EDGE_PUNCT.has(chars[hi - 1] ?? "")) hi--;
  if (lo === hi) return;
  const prefix = chars.slice(0, lo).join("");
  const text = chars.slice(lo, hi).join("");
  if (text.split("").every((c) => DASHES.has(c))) return;
  tokens.push(makeToken(text, at + prefix.length, "word"));
}

function makeToken(text: string, start: number, kind: Token["kind"]): Token {
  const norm = text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/['\u2019]s$/, "");
  return { text, norm, start, end: start + text.length, kind };
}

/** Length in Unicode code points (an emoji counts once), without building an array. */
export function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}
