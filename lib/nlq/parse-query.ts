import {
  combineSet,
  type ListFilters,
  listFiltersSchema,
  listValueSchema,
  MAX_LIST_VALUES,
  SET_FIELDS,
  type SetField,
} from "../requests/list-filters.ts";
import type { DateContext } from "./chrono-dates.ts";
import { SearchQueryError } from "./errors.ts";
import { explainFilters } from "./explain.ts";
import { isLexiconWord, isNearMiss, lookup, type Meaning } from "./lexicon.ts";
import { type Bounds, isTimeWord, matchTime, TIME_WORDS } from "./time-phrases.ts";
import { codePointLength, type Token, tokenize } from "./tokenize.ts";
import { createZone, type Zone } from "./zone.ts";

/** Longest accepted query, in code points. */
export const MAX_QUERY_LENGTH = 500;
/** What "expiring" alone means: expires within this many hours from now. */
export const EXPIRING_WINDOW_HOURS = 24;

export interface ParseQueryOptions {
  /** The reference instant: "today", "last 3 hours" are relative to it. Never read from a clock here. */
  now: Date;
  /** The caller's IANA time zone; "UTC" when absent. */
  tz?: string | undefined;
}

export interface ParsedQuery {
  filters: ListFilters;
  /** One chip per filter, times in the caller's zone. */
  explanation: string[];
  /** Words not understood, verbatim and in order. */
  unknown: string[];
}

/** What became of each word. */
export type Role = "filter" | "time" | "filler" | "unknown";

export interface QueryAnalysis extends ParsedQuery {
  tokens: { token: Token; role: Role }[];
  zone: Zone;
}

/**
 * Plain English → the list filters, deterministically: the same text, `now` and `tz` always give
 * the same result. Throws only SearchQueryError (too long, not a string, bad time zone).
 */
export function parseQuery(q: string, opts: ParseQueryOptions): ParsedQuery {
  const { filters, explanation, unknown } = analyseQuery(q, opts);
  return { filters, explanation, unknown };
}

/** parseQuery, plus the role of every token (for tests and for highlighting words in the UI). */
export function analyseQuery(q: string, opts: ParseQueryOptions): QueryAnalysis {
  if (typeof q !== "string") throw new SearchQueryError("invalid_query", "q", "must be a string");
  if (q.length > 4 * MAX_QUERY_LENGTH || codePointLength(q) > MAX_QUERY_LENGTH) {
    throw new SearchQueryError("query_too_long", "q", `must be at most ${MAX_QUERY_LENGTH} characters`);
  }
  const zone = createZone(opts.tz ?? "UTC");
  const now = opts.now.getTime();
  if (Number.isNaN(now)) throw new RangeError("parseQuery: now is an invalid Date");
  const tokens = tokenize(q);
  const state = new QueryState(tokens, zone, now);
  state.run();
  const filters = state.finish();
  const unknown = tokens.filter((_, i) => state.roles[i] === "unknown").map((t) => t.text);
  return {
    filters,
    explanation: explainFilters(filters, zone),
    unknown,
    tokens: tokens.map((token, i) => ({ token, role: state.roles[i] ?? "unknown" })),
    zone,
  };
}

const JIRA_KEY = /^[a-z][a-z0-9]{1,9}-\d{1,10}$/;
const SERVICENOW_NUMBER = /^(?:inc|chg|ritm|req|prb|task|ctask|sctask)\d{4,12}$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** What a principal, client or ticket name may look like (IAM's characters, any letters). */
const NAME = /^[\p{L}\p{N}_+=,.@/-]+$/u;
const LIST_JOINERS = new Set(["or", "and", "nor"]);

type SetMeaning = Extract<Meaning, { kind: "provider" | "status" | "revocation" | "action" }>;
const FIELD_OF: Record<SetMeaning["kind"], SetField> = {
  provider: "provider",
  status: "status",
  revocation: "revocation_status",
  action: "action",
};

interface Mention {
  value: string;
  tokens: number[];
}

interface TimeMention {
  bounds: Bounds;
  tokens: number[];
}

type TimeTarget = { field: "received" | "expires"; prefer: "past" | "future" };

class QueryState {
  readonly roles: Role[];
  private readonly norms: string[];
  private readonly sets: Record<SetField, { pos: Mention[]; neg: Mention[] }> = {
    provider: { pos: [], neg: [] },
    status: { pos: [], neg: [] },
    revocation_status: { pos: [], neg: [] },
    action: { pos: [], neg: [] },
  };
  private readonly lists = {
    principal: [] as string[],
    ticket: [] as string[],
    client: [] as string[],
    text: [] as string[],
  };
  private readonly received: TimeMention[] = [];
  private readonly expires: TimeMention[] = [];
  private stuck = false;
  private expiring = false;
  private expired = false;
  private target: TimeTarget = { field: "received", prefer: "past" };

  constructor(
    private readonly tokens: readonly Token[],
    private readonly zone: Zone,
    private readonly now: number,
  ) {
    this.roles = tokens.map(() => "unknown");
    // Quoted phrases and dashes never match words of the lexicon.
    this.norms = tokens.map((t) => (t.kind === "word" ? t.norm : ""));
  }

  run(): void {
    let i = 0;
    while (i < this.tokens.length) i += this.step(i);
  }

  /** Reads what starts at token i; returns how many tokens it took (at least one). */
  private step(i: number): number {
    const t = this.tokens[i];
    if (t === undefined) return 1;
    if (t.kind === "quoted") return this.addValue("text", t.text) ? this.mark(i, 1, "filter") : 1;
    if (t.kind === "dash") return this.mark(i, 1, "filler");

    const ctx: DateContext = { zone: this.zone, now: this.now, prefer: this.target.prefer };
    const time = matchTime(this.tokens, i, ctx);
    if (time) {
      // An instant ISO 8601 cannot write with four year digits is not a filter anyone meant.
      const { from, to } = time.bounds;
      if (!representable(from) || !representable(to)) return time.length;
      const mention = { bounds: time.bounds, tokens: range(i, time.length) };
      (this.target.field === "received" ? this.received : this.expires).push(mention);
      this.target = { field: "received", prefer: "past" };
      return this.mark(i, time.length, "time");
    }

    const negated = this.negatedWord(i);
    if (negated) return negated;

    const hit = lookup(this.norms, i);
    if (hit) return this.apply(i, hit.meaning, hit.length);

    if (JIRA_KEY.test(t.norm) || SERVICENOW_NUMBER.test(t.norm)) {
      return this.addValue("ticket", t.text.toUpperCase()) ? this.mark(i, 1, "filter") : 1;
    }
    if (GUID.test(t.norm)) return this.addValue("principal", t.norm) ? this.mark(i, 1, "filter") : 1;
    return 1; // unknown
  }

  private apply(i: number, m: Meaning, length: number): number {
    switch (m.kind) {
      case "filler":
        return this.mark(i, length, "filler");
      case "provider":
      case "status":
      case "revocation":
      case "action":
        this.mention(m, range(i, length), false);
        return this.mark(i, length, "filter");
      case "granted":
        this.sets.status.pos.push({ value: "SUCCESS", tokens: range(i, length) });
        this.sets.action.pos.push({ value: "grant", tokens: range(i, length) });
        return this.mark(i, length, "filter");
      case "active":
        this.sets.action.pos.push({ value: "grant", tokens: range(i, length) });
        this.sets.revocation_status.pos.push({ value: "SCHEDULED", tokens: range(i, length) });
        return this.mark(i, length, "filter");
      case "stuck":
        this.stuck = true;
        return this.mark(i, length, "filter");
      case "expiring":
        this.expiring = true;
        this.target = { field: "expires", prefer: "future" };
        return this.mark(i, length, "filter");
      case "expired":
        this.expired = true;
        this.target = { field: "expires", prefer: "past" };
        return this.mark(i, length, "filter");
      case "received":
        this.target = { field: "received", prefer: "past" };
        return this.mark(i, length, "filler");
      case "negate":
        return this.negation(i, length);
      case "key":
        return this.keyed(i, length, m.field, m.principalType, false);
      case "soft-key":
        return this.keyed(i, length, m.field, undefined, true);
    }
  }

  /**
   * "not azure", "except aws or azure", "excluding the failed": the set word(s) after the
   * negation are excluded. A negation with no set word after it is not understood.
   */
  private negation(i: number, length: number): number {
    let j = i + length;
    while (this.isPlainFiller(j)) j++;
    const first = this.setMeaningAt(j);
    if (!first) return 1; // the negation word is unknown; what follows is read on its own
    const field = FIELD_OF[first.meaning.kind];
    this.mention(first.meaning, [...range(i, length), ...range(j, first.length)], true);
    let end = j + first.length;
    // "not aws or azure", "excluding failed, pending": a list of the same kind stays negated.
    for (;;) {
      const joiner = LIST_JOINERS.has(this.norms[end] ?? "") ? 1 : 0;
      const next = this.setMeaningAt(end + joiner);
      if (!next || FIELD_OF[next.meaning.kind] !== field) break;
      this.mention(next.meaning, range(end, joiner + next.length), true);
      end += joiner + next.length;
    }
    return this.mark(i, end - i, "filter");
  }

  /** "non-aws", "non-failed" (one word) or "non aws". */
  private negatedWord(i: number): number | null {
    const w = this.norms[i] ?? "";
    if (w === "non") {
      const next = this.setMeaningAt(i + 1);
      if (!next) return null;
      this.mention(next.meaning, range(i, 1 + next.length), true);
      return this.mark(i, 1 + next.length, "filter");
    }
    if (!w.startsWith("non-")) return null;
    const inner = lookup([w.slice(4)], 0);
    if (!inner || !isSetMeaning(inner.meaning)) return null;
    this.mention(inner.meaning, [i], true);
    return this.mark(i, 1, "filter");
  }

  /**
   * A key word and its argument: "user alice", "ticket 4711", "client hr". A soft key ("for",
   * "by", "from") takes only a plain name and is filler otherwise ("for aws", "for the last week").
   * More names may follow with "or"/"and": "for alice or bob".
   */
  private keyed(
    i: number,
    length: number,
    field: "principal" | "ticket" | "client" | "text",
    principalType: "user" | "role" | "group" | undefined,
    soft: boolean,
  ): number {
    const argAt = i + length;
    if (!this.isArgument(argAt, soft)) return soft ? this.mark(i, length, "filler") : 1;
    const take = (k: number) => {
      const t = this.tokens[k];
      return t !== undefined && this.addValue(field, this.argumentValue(t, field, principalType));
    };
    if (!take(argAt)) return soft ? this.mark(i, length, "filler") : 1;
    let end = argAt + 1;
    while (LIST_JOINERS.has(this.norms[end] ?? "") && this.isArgument(end + 1, true) && take(end + 1))
      end += 2;
    return this.mark(i, end - i, "filter");
  }

  private argumentValue(
    t: Token,
    field: "principal" | "ticket" | "client" | "text",
    principalType: "user" | "role" | "group" | undefined,
  ): string {
    if (field !== "principal") return t.text;
    // Azure principals are object ids, stored lower-case; AWS ones as type/name.
    if (GUID.test(t.norm)) return t.norm;
    return principalType ? `${principalType}/${t.text}` : t.text;
  }

  /** Whether tokens[k] can be a key's argument: a name, not a word with a meaning of its own. */
  private isArgument(k: number, soft: boolean): boolean {
    const t = this.tokens[k];
    if (t === undefined) return false;
    if (t.kind === "quoted") return !soft;
    if (t.kind !== "word" || !NAME.test(t.text) || isLexiconWord(t.norm) || isTimeWord(t.norm)) return false;
    if (t.norm.startsWith("non-")) return false;
    // A soft key takes only what is clearly a name: "for 3 days" and "for azrue" (azure?) are not.
    if (soft && (/^\d/.test(t.norm) || isNearMiss(t.norm, TIME_WORDS))) return false;
    return !(soft && (JIRA_KEY.test(t.norm) || SERVICENOW_NUMBER.test(t.norm)));
  }

  /**
   * Adds a value to a list filter if the schema accepts it (bounded length, no control characters,
   * well-formed Unicode) and the list has room; otherwise the word stays unknown.
   */
  private addValue(field: "principal" | "ticket" | "client" | "text", v: string): boolean {
    const list = this.lists[field];
    if (list.includes(v)) return true;
    if (list.length >= MAX_LIST_VALUES || !listValueSchema.safeParse(v).success) return false;
    list.push(v);
    return true;
  }

  private isPlainFiller(k: number): boolean {
    const hit = lookup(this.norms, k);
    return hit !== null && hit.length === 1 && (hit.meaning.kind === "filler" || this.norms[k] === "for");
  }

  private setMeaningAt(k: number): { meaning: SetMeaning; length: number } | null {
    const hit = lookup(this.norms, k);
    return hit && isSetMeaning(hit.meaning) ? { meaning: hit.meaning, length: hit.length } : null;
  }

  private mention(m: SetMeaning, tokens: number[], negative: boolean): void {
    const set = this.sets[FIELD_OF[m.kind]];
    (negative ? set.neg : set.pos).push({ value: m.value, tokens });
  }

  private mark(i: number, length: number, role: Role): number {
    for (let k = i; k < i + length; k++) this.roles[k] = role;
    return length;
  }

  /**
   * Several time expressions on one column. Windows ("yesterday", "today") add up when they touch
   * or overlap, like "aws azure" adds providers; a window apart from the others cannot be added
   * to one [from, to), so its words are reported, not guessed at. Open bounds ("since Monday",
   * "before Wednesday") then narrow the result.
   */
  private toInstants(
    mentions: readonly TimeMention[],
    fromKey: string,
    toKey: string,
  ): Record<string, string> {
    let window: { from: number; to: number } | null = null;
    const froms: number[] = [];
    const tos: number[] = [];
    for (const { bounds, tokens } of mentions) {
      const { from, to } = bounds;
      if (from === undefined || to === undefined) {
        if (from !== undefined) froms.push(from);
        if (to !== undefined) tos.push(to);
      } else if (window === null) {
        window = { from, to };
      } else if (from <= window.to && to >= window.from) {
        window = { from: Math.min(window.from, from), to: Math.max(window.to, to) };
      } else {
        for (const k of tokens) this.roles[k] = "unknown";
      }
    }
    if (window) {
      froms.push(window.from);
      tos.push(window.to);
    }
    const out: Record<string, string> = {};
    if (froms.length > 0) out[fromKey] = new Date(Math.max(...froms)).toISOString();
    if (tos.length > 0) out[toKey] = new Date(Math.min(...tos)).toISOString();
    return out;
  }

  /** The filters, after the implications of expiring/expired and the resolution of conflicts. */
  finish(): ListFilters {
    if (this.expiring) {
      this.sets.action.pos.push({ value: "grant", tokens: [] });
      this.sets.revocation_status.pos.push({ value: "SCHEDULED", tokens: [] });
      if (this.expires.length === 0) {
        const bounds = { from: this.now, to: this.now + EXPIRING_WINDOW_HOURS * 3_600_000 };
        this.expires.push({ bounds, tokens: [] });
      }
    }
    if (this.expired) {
      this.sets.action.pos.push({ value: "grant", tokens: [] });
      if (this.expires.length === 0) this.expires.push({ bounds: { to: this.now }, tokens: [] });
    }
    const f: Record<string, unknown> = {};
    for (const field of Object.keys(SET_FIELDS) as SetField[]) {
      const { pos, neg } = this.sets[field];
      if (pos.length === 0 && neg.length === 0) continue;
      const values = (ms: Mention[]) => ms.map((m) => m.value);
      let set = combineSet(SET_FIELDS[field], values(pos), values(neg));
      if (set === null) {
        // "aws except aws": nothing would be left. The exclusion is not understood, not applied.
        for (const m of neg) for (const k of m.tokens) this.roles[k] = "unknown";
        set = combineSet(SET_FIELDS[field], values(pos), []);
      }
      f[field] = set;
    }
    Object.assign(
      f,
      this.toInstants(this.received, "from", "to"),
      this.toInstants(this.expires, "expires_from", "expires_to"),
    );
    if (this.stuck) f.stuck = true;
    for (const [field, vs] of Object.entries(this.lists)) if (vs.length > 0) f[field] = vs;
    // The parser builds only what the schema allows; parsing proves it (and strips nothing).
    return listFiltersSchema.parse(f);
  }
}

const MIN_INSTANT = Date.parse("0000-01-01T00:00:00Z");
const MAX_INSTANT = Date.parse("9999-12-31T23:59:59.999Z");

function representable(ms: number | undefined): boolean {
  return ms === undefined || (ms >= MIN_INSTANT && ms <= MAX_INSTANT);
}

function isSetMeaning(m: Meaning): m is SetMeaning {
  return m.kind === "provider" || m.kind === "status" || m.kind === "revocation" || m.kind === "action";
}

function range(i: number, length: number): number[] {
  return Array.from({ length }, (_, k) => i + k);
}
