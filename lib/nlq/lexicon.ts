import type {
  ActionValue,
  ProviderValue,
  RevocationStatusValue,
  StatusValue,
} from "../requests/list-filters.ts";

/**
 * Every word and phrase the parser knows, with what it means. Anything not listed here, not a
 * time expression (time-phrases.ts) and not the argument of a key word goes to `unknown`.
 */
export type Meaning =
  /** Says nothing about the filters: consumed silently. */
  | { kind: "filler" }
  | { kind: "provider"; value: ProviderValue }
  | { kind: "status"; value: StatusValue }
  | { kind: "revocation"; value: RevocationStatusValue }
  | { kind: "action"; value: ActionValue }
  /** "granted": a grant that succeeded. */
  | { kind: "granted" }
  /** "active": a grant whose access is in place and still to be revoked. */
  | { kind: "active" }
  | { kind: "stuck" }
  /** The next time expression is about expires_at, and the request is a grant still active… */
  | { kind: "expiring" }
  /** …or one whose expiry has passed. */
  | { kind: "expired" }
  /** The next time expression is about received_at (the default anyway). */
  | { kind: "received" }
  /** Applies to the set word (provider, status, revocation, action) right after it. */
  | { kind: "negate" }
  /** Takes the next word as an argument. */
  | {
      kind: "key";
      field: "principal" | "ticket" | "client" | "text";
      principalType?: "user" | "role" | "group";
    }
  /** Contextual words: an argument when a plain name follows, otherwise filler. */
  | { kind: "soft-key"; field: "principal" | "client" };

/** Words that carry no filter. Kept deliberately short: a word not listed is reported, not ignored. */
export const FILLERS = [
  "show",
  "me",
  "all",
  "the",
  "requests",
  "request",
  "what",
  "what's",
  "is",
  "are",
  "any",
  "list",
  "find",
  "get",
  "search",
  "with",
  "in",
  "on",
  "at",
  "of",
  "a",
  "an",
  "and",
  "or",
  "nor",
  "that",
  "which",
  "were",
  "was",
  "have",
  "has",
  "been",
  "please",
  "there",
  "where",
  "status",
  "provider",
  "cloud",
  "over",
  "during",
  "within",
] as const;

const ENTRIES: [string, Meaning][] = [
  // providers
  ["aws", { kind: "provider", value: "aws" }],
  ["amazon", { kind: "provider", value: "aws" }],
  ["amazon web services", { kind: "provider", value: "aws" }],
  ["azure", { kind: "provider", value: "azure" }],
  ["microsoft", { kind: "provider", value: "azure" }],
  ["microsoft azure", { kind: "provider", value: "azure" }],
  ["entra", { kind: "provider", value: "azure" }],
  ["entra id", { kind: "provider", value: "azure" }],
  ["microsoft entra", { kind: "provider", value: "azure" }],
  ["microsoft entra id", { kind: "provider", value: "azure" }],
  ["azure ad", { kind: "provider", value: "azure" }],
  // request statuses
  ["failed", { kind: "status", value: "FAILED" }],
  ["fail", { kind: "status", value: "FAILED" }],
  ["fails", { kind: "status", value: "FAILED" }],
  ["failing", { kind: "status", value: "FAILED" }],
  ["failure", { kind: "status", value: "FAILED" }],
  ["failures", { kind: "status", value: "FAILED" }],
  ["error", { kind: "status", value: "FAILED" }],
  ["errors", { kind: "status", value: "FAILED" }],
  ["errored", { kind: "status", value: "FAILED" }],
  ["unsuccessful", { kind: "status", value: "FAILED" }],
  ["succeeded", { kind: "status", value: "SUCCESS" }],
  ["success", { kind: "status", value: "SUCCESS" }],
  ["successes", { kind: "status", value: "SUCCESS" }],
  ["successful", { kind: "status", value: "SUCCESS" }],
  ["pending", { kind: "status", value: "PENDING" }],
  ["queued", { kind: "status", value: "PENDING" }],
  ["waiting", { kind: "status", value: "PENDING" }],
  ["processing", { kind: "status", value: "PROCESSING" }],
  ["running", { kind: "status", value: "PROCESSING" }],
  ["in progress", { kind: "status", value: "PROCESSING" }],
  ["in-progress", { kind: "status", value: "PROCESSING" }],
  ["ongoing", { kind: "status", value: "PROCESSING" }],
  ["granted", { kind: "granted" }],
  ["active", { kind: "active" }],
  ["stuck", { kind: "stuck" }],
  // revocation outcomes
  ["revoked", { kind: "revocation", value: "REVOKED" }],
  ["skipped", { kind: "revocation", value: "SKIPPED" }],
  ["scheduled", { kind: "revocation", value: "SCHEDULED" }],
  ["scheduled for revocation", { kind: "revocation", value: "SCHEDULED" }],
  ["awaiting revocation", { kind: "revocation", value: "SCHEDULED" }],
  ["revocation failed", { kind: "revocation", value: "FAILED" }],
  ["revocation failures", { kind: "revocation", value: "FAILED" }],
  ["revocation errors", { kind: "revocation", value: "FAILED" }],
  ["revoke failed", { kind: "revocation", value: "FAILED" }],
  ["failed to revoke", { kind: "revocation", value: "FAILED" }],
  // An outcome with "revocation(s)" is about a grant's revocation, not about revoke requests.
  ["failed revocation", { kind: "revocation", value: "FAILED" }],
  ["failed revocations", { kind: "revocation", value: "FAILED" }],
  ["skipped revocation", { kind: "revocation", value: "SKIPPED" }],
  ["skipped revocations", { kind: "revocation", value: "SKIPPED" }],
  ["scheduled revocation", { kind: "revocation", value: "SCHEDULED" }],
  ["scheduled revocations", { kind: "revocation", value: "SCHEDULED" }],
  ["upcoming revocations", { kind: "revocation", value: "SCHEDULED" }],
  // actions
  ["grant", { kind: "action", value: "grant" }],
  ["grants", { kind: "action", value: "grant" }],
  ["revoke", { kind: "action", value: "revoke" }],
  ["revokes", { kind: "action", value: "revoke" }],
  ["revocation", { kind: "action", value: "revoke" }],
  ["revocations", { kind: "action", value: "revoke" }],
  // expiry
  ["expiring", { kind: "expiring" }],
  ["expiring soon", { kind: "expiring" }],
  ["expire", { kind: "expiring" }],
  ["expires", { kind: "expiring" }],
  ["expired", { kind: "expired" }],
  // received_at
  ["received", { kind: "received" }],
  ["submitted", { kind: "received" }],
  ["created", { kind: "received" }],
  ["sent", { kind: "received" }],
  ["requested", { kind: "received" }],
  // negation
  ["not", { kind: "negate" }],
  ["except", { kind: "negate" }],
  ["excluding", { kind: "negate" }],
  ["exclude", { kind: "negate" }],
  ["without", { kind: "negate" }],
  ["but not", { kind: "negate" }],
  ["other than", { kind: "negate" }],
  // The dashboard's chips write exclusions as "provider ≠ azure"; typed back in, they must not
  // read as "provider azure" (the opposite).
  ["≠", { kind: "negate" }],
  ["!=", { kind: "negate" }],
  ["<>", { kind: "negate" }],
  // key words that take the next word
  ["ticket", { kind: "key", field: "ticket" }],
  ["tickets", { kind: "key", field: "ticket" }],
  ["client", { kind: "key", field: "client" }],
  ["clients", { kind: "key", field: "client" }],
  ["via", { kind: "key", field: "client" }],
  ["user", { kind: "key", field: "principal", principalType: "user" }],
  ["role", { kind: "key", field: "principal", principalType: "role" }],
  ["group", { kind: "key", field: "principal", principalType: "group" }],
  ["principal", { kind: "key", field: "principal" }],
  ["service principal", { kind: "key", field: "principal" }],
  ["containing", { kind: "key", field: "text" }],
  ["mentioning", { kind: "key", field: "text" }],
  ["matching", { kind: "key", field: "text" }],
  // "for alice" and "granted to bob" are principals, "by ticketing" and "from hr" clients; "for
  // aws" is not, and "from Monday" is a time (time expressions are tried first).
  ["for", { kind: "soft-key", field: "principal" }],
  ["by", { kind: "soft-key", field: "client" }],
  ["from", { kind: "soft-key", field: "client" }],
  ["to", { kind: "soft-key", field: "principal" }],
  ...FILLERS.map((w): [string, Meaning] => [w, { kind: "filler" }]),
];

/** Phrases by their first word, longest first, so "in progress" wins over the filler "in". */
const BY_FIRST = new Map<string, { words: string[]; meaning: Meaning }[]>();
for (const [phrase, meaning] of ENTRIES) {
  const words = phrase.split(" ");
  const first = words[0] ?? "";
  const list = BY_FIRST.get(first) ?? [];
  list.push({ words, meaning });
  list.sort((a, b) => b.words.length - a.words.length);
  BY_FIRST.set(first, list);
}

/** The longest phrase of the lexicon starting at `norms[i]`, with how many words it spans. */
export function lookup(norms: readonly string[], i: number): { meaning: Meaning; length: number } | null {
  const first = norms[i];
  if (first === undefined) return null;
  for (const entry of BY_FIRST.get(first) ?? []) {
    if (entry.words.every((w, k) => norms[i + k] === w))
      return { meaning: entry.meaning, length: entry.words.length };
  }
  return null;
}

/** Whether a word has any meaning of its own (and so cannot be read as a name). */
export function isLexiconWord(norm: string): boolean {
  return BY_FIRST.has(norm);
}

/** Every single word the lexicon uses, for spotting near-misses. */
const KNOWN_WORDS = new Set(ENTRIES.flatMap(([phrase]) => phrase.split(" ")));

/**
 * Whether a word is one typo (an insertion, deletion, substitution or swap of neighbours) away from
 * a known word of five letters or more: "azrue", "faild", "yesterdy". Such a word after "for",
 * "by" or "from" is reported as unknown rather than taken for a name. `extra` adds other known
 * words (the time vocabulary).
 */
export function isNearMiss(norm: string, extra: Iterable<string>): boolean {
  if (norm.length < 5 || norm.length > 20) return false;
  for (const known of [...KNOWN_WORDS, ...extra]) {
    if (
      known.length >= 5 &&
      known !== norm &&
      Math.abs(known.length - norm.length) <= 1 &&
      withinOneEdit(norm, known)
    ) {
      return true;
    }
  }
  return false;
}

/** Optimal string alignment distance ≤ 1, in linear time. */
function withinOneEdit(a: string, b: string): boolean {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const restA = a.slice(i + 1);
  const restB = b.slice(i + 1);
  if (a.length === b.length) {
    return restA === restB || (a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2));
  }
  return a.length > b.length ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}
