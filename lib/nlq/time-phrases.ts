import { type DateContext, interpretDate, type Span } from "./chrono-dates.ts";
import type { Token } from "./tokenize.ts";
import { addDays, addMonths, isoWeekday, startOfDay, type Wall } from "./zone.ts";

/**
 * Time expressions, hand-written where chrono has no notion of a window: rolling windows ("last 3
 * hours", "past week", "24h"), calendar units ("this month", "last week"), "N days ago", and the
 * connectors that turn dates into bounds ("since", "before", "after", "until", "between … and",
 * "from … to", "X – Y"). The dates themselves ("yesterday", "Monday", "2026-11-28", "Nov 28 at
 * 10am") are chrono's, through chrono-dates.ts.
 */

/** What a time expression constrains: [from, to), either side open. */
export interface Bounds {
  from?: number;
  to?: number;
}

export interface TimeMatch {
  /** Tokens consumed. */
  length: number;
  bounds: Bounds;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

type Unit = "minute" | "hour" | "day" | "week" | "month" | "year";

const UNITS: Record<string, Unit> = {
  minute: "minute",
  minutes: "minute",
  min: "minute",
  mins: "minute",
  hour: "hour",
  hours: "hour",
  hr: "hour",
  hrs: "hour",
  day: "day",
  days: "day",
  week: "week",
  weeks: "week",
  wk: "week",
  wks: "week",
  month: "month",
  months: "month",
  year: "year",
  years: "year",
  yr: "year",
  yrs: "year",
};

/** "24h", "7d", "15m", "2w": the compact forms, only after last/past/within/next. */
const COMPACT = /^(\d{1,6})(m|min|mins|h|hr|hrs|d|w|wk)$/;
const COMPACT_UNITS: Record<string, Unit> = {
  m: "minute",
  min: "minute",
  mins: "minute",
  h: "hour",
  hr: "hour",
  hrs: "hour",
  d: "day",
  w: "week",
  wk: "week",
};

/** The most of each unit a window may span: a century; beyond it the words are not understood. */
const MAX_COUNT: Record<Unit, number> = {
  minute: 100 * 366 * 24 * 60,
  hour: 100 * 366 * 24,
  day: 100 * 366,
  week: 100 * 53,
  month: 100 * 12,
  year: 100,
};

const NUMBER_WORDS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
};

const BACKWARD = new Set(["last", "past", "previous"]);
const UNTIL = new Set(["until", "till", "through", "thru", "to"]);

/** Words and shapes a chrono date may be made of; a candidate must hold at least one anchor. */
const ANCHOR_WORDS = new Set([
  ..."january february march april may june july august september october november december".split(" "),
  ..."jan feb mar apr jun jul aug sep sept oct nov dec".split(" "),
  ..."monday tuesday wednesday thursday friday saturday sunday".split(" "),
  ..."mon tue tues wed thu thur thurs fri sat sun".split(" "),
  "today",
  "yesterday",
  "tomorrow",
  "noon",
  "midnight",
  "am",
  "pm",
]);
const ANCHOR_SHAPES = [
  /^\d{4}-\d{2}-\d{2}(?:t\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:z|[+-]\d{2}:?\d{2})?)?$/,
  /^\d{1,2}\/\d{1,2}(?:\/\d{2,4})?$/,
  /^\d{1,2}:\d{2}(?::\d{2})?(?:am|pm)?$/,
  /^\d{1,2}(?:am|pm)$/,
];
const INNER_WORDS = new Set(["at", "of", "utc", "gmt"]);
const NUMBER_SHAPES = [/^\d{1,4}$/, /^\d{1,2}(?:st|nd|rd|th)$/];
const MODIFIERS = new Set(["last", "this", "next", "previous"]);
const MAX_DATE_WORDS = 6;

/** The time vocabulary, for spotting near-misses such as "yesterdy". */
export const TIME_WORDS: readonly string[] = [
  ...ANCHOR_WORDS,
  ...Object.keys(UNITS),
  ...Object.keys(NUMBER_WORDS),
  ...MODIFIERS,
  ...BACKWARD,
  ...UNTIL,
  "since",
  "before",
  "after",
  "between",
  "within",
  "current",
];

export function isDateAnchor(norm: string): boolean {
  return ANCHOR_WORDS.has(norm) || ANCHOR_SHAPES.some((re) => re.test(norm));
}

/** Words that begin a time expression: never read as a name ("for yesterday" is not a user). */
export function isTimeWord(norm: string): boolean {
  return (
    isDateAnchor(norm) ||
    MODIFIERS.has(norm) ||
    BACKWARD.has(norm) ||
    ["since", "before", "after", "until", "till", "between", "now", "within", "ago"].includes(norm)
  );
}

/**
 * The time expression starting at tokens[i], if any. Bounds are in UTC ms; a window's end is
 * exclusive.
 */
export function matchTime(tokens: readonly Token[], i: number, ctx: DateContext): TimeMatch | null {
  const w = norm(tokens, i);
  const bound = (length: number, bounds: Bounds): TimeMatch => ({ length, bounds });
  switch (w) {
    case "since": {
      const x = matchPoint(tokens, i + 1, ctx);
      return x ? bound(1 + x.length, { from: x.span.start }) : null;
    }
    case "after": {
      const x = matchPoint(tokens, i + 1, ctx);
      return x ? bound(1 + x.length, { from: x.span.end }) : null;
    }
    case "before": {
      const x = matchPoint(tokens, i + 1, ctx);
      return x ? bound(1 + x.length, { to: x.span.start }) : null;
    }
    case "until":
    case "till":
    case "through":
    case "thru": {
      const x = matchPoint(tokens, i + 1, ctx);
      return x ? bound(1 + x.length, { to: x.span.end }) : null;
    }
    case "between": {
      const x = matchPoint(tokens, i + 1, ctx);
      if (!x || norm(tokens, i + 1 + x.length) !== "and") return null;
      const y = matchPoint(tokens, i + 2 + x.length, { ...ctx, notBefore: x.span.start });
      return y ? bound(2 + x.length + y.length, { from: x.span.start, to: y.span.end }) : null;
    }
    case "from": {
      const x = matchPoint(tokens, i + 1, ctx);
      if (!x) return null;
      const range = matchRangeEnd(tokens, i + 1 + x.length, { ...ctx, notBefore: x.span.start });
      return range
        ? bound(1 + x.length + range.length, { from: x.span.start, to: range.span.end })
        : bound(1 + x.length, { from: x.span.start });
    }
  }
  const x = matchPoint(tokens, i, ctx);
  if (!x) return null;
  const range = matchRangeEnd(tokens, i + x.length, { ...ctx, notBefore: x.span.start });
  if (range) return bound(x.length + range.length, { from: x.span.start, to: range.span.end });
  // On its own, an expression must name a stretch of time: "2 hours ago" names an instant only.
  return x.span.end > x.span.start ? bound(x.length, { from: x.span.start, to: x.span.end }) : null;
}

/** "– Y", "to Y", "until Y" after a first date: the second half of a range. */
function matchRangeEnd(
  tokens: readonly Token[],
  i: number,
  ctx: DateContext,
): { length: number; span: Span } | null {
  const t = tokens[i];
  if (t === undefined || !(t.kind === "dash" || UNTIL.has(t.norm))) return null;
  const y = matchPoint(tokens, i + 1, ctx);
  return y ? { length: 1 + y.length, span: y.span } : null;
}

/** One date, window or instant: "now", "3 days ago", "last 2 hours", "this week", chrono's dates. */
function matchPoint(
  tokens: readonly Token[],
  i: number,
  ctx: DateContext,
): { length: number; span: Span } | null {
  const w = norm(tokens, i);
  if (w === undefined) return null;
  if (w === "now") return { length: 1, span: { start: ctx.now, end: ctx.now } };
  return (
    matchAgo(tokens, i, ctx) ??
    matchRolling(tokens, i, ctx) ??
    matchCalendar(tokens, i, ctx) ??
    matchChrono(tokens, i, ctx)
  );
}

/** "3 days ago": the instant; on its own (a day or longer) the day it falls on. */
function matchAgo(tokens: readonly Token[], i: number, ctx: DateContext) {
  const n = count(norm(tokens, i));
  const unit = UNITS[norm(tokens, i + 1) ?? ""];
  if (n === null || unit === undefined || norm(tokens, i + 2) !== "ago" || n > MAX_COUNT[unit]) return null;
  const at = shift(ctx, ctx.now, unit, -n);
  if (unit === "minute" || unit === "hour") return { length: 3, span: { start: at, end: at } };
  const day = startOfDay(ctx.zone.wall(at));
  return { length: 3, span: { start: ctx.zone.instant(day), end: ctx.zone.instant(addDays(day, 1)) } };
}

/** "last 3 hours", "past 7 days", "last 24h", "within 2 days", "next 2 hours": rolling windows. */
function matchRolling(tokens: readonly Token[], i: number, ctx: DateContext) {
  const w = norm(tokens, i) ?? "";
  const direction = BACKWARD.has(w)
    ? -1
    : w === "next"
      ? 1
      : w === "within"
        ? ctx.prefer === "past"
          ? -1
          : 1
        : 0;
  if (direction === 0) return null;
  let n: number | null;
  let unit: Unit | undefined;
  let length: number;
  const compact = COMPACT.exec(norm(tokens, i + 1) ?? "");
  if (compact) {
    n = Number(compact[1]);
    unit = COMPACT_UNITS[compact[2] ?? ""];
    length = 2;
  } else {
    n = count(norm(tokens, i + 1));
    unit = UNITS[norm(tokens, i + 2) ?? ""];
    length = 3;
  }
  if (n === null || unit === undefined || n < 1 || n > MAX_COUNT[unit]) {
    // One unit: "past week", "past month" and "last hour" roll; "last week" is a calendar week.
    const one = unitOf(tokens, i + 1);
    if (one === undefined) return null;
    const rolls = w === "past" || w === "within" || one === "minute" || one === "hour" || one === "day";
    return rolls ? { length: 2, span: rolling(ctx, one, 1, direction) } : null;
  }
  return { length, span: rolling(ctx, unit, n, direction) };
}

function rolling(ctx: DateContext, unit: Unit, n: number, direction: number): Span {
  const other = shift(ctx, ctx.now, unit, direction * n);
  return direction < 0 ? { start: other, end: ctx.now } : { start: ctx.now, end: other };
}

/** "this month", "last week", "next year", "this week": whole calendar units in the caller's zone. */
function matchCalendar(tokens: readonly Token[], i: number, ctx: DateContext) {
  const w = norm(tokens, i) ?? "";
  const unit = unitOf(tokens, i + 1);
  if (unit === undefined || unit === "minute" || unit === "hour") return null;
  const offset =
    w === "this" || w === "current" ? 0 : w === "last" || w === "previous" ? -1 : w === "next" ? 1 : null;
  if (offset === null || (unit === "day" && offset !== 0)) return null;
  const today = startOfDay(ctx.zone.wall(ctx.now));
  let first: Wall;
  let next: (d: Wall) => Wall;
  switch (unit) {
    case "day":
      first = today;
      next = (d) => addDays(d, 1);
      break;
    case "week":
      first = addDays(today, -isoWeekday(today));
      next = (d) => addDays(d, 7);
      break;
    case "month":
      first = { ...today, day: 1 };
      next = (d) => addMonths(d, 1);
      break;
    case "year":
      first = { ...today, month: 1, day: 1 };
      next = (d) => addMonths(d, 12);
      break;
  }
  if (offset === -1)
    first = unit === "week" ? addDays(first, -7) : addMonths(first, unit === "month" ? -1 : -12);
  if (offset === 1) first = next(first);
  return { length: 2, span: { start: ctx.zone.instant(first), end: ctx.zone.instant(next(first)) } };
}

/** The longest run of date words from tokens[i] that chrono reads as one date. */
function matchChrono(tokens: readonly Token[], i: number, ctx: DateContext) {
  const words: string[] = [];
  for (let k = i; k < tokens.length && words.length < MAX_DATE_WORDS; k++) {
    const t = tokens[k];
    if (t === undefined || t.kind !== "word") break;
    const ok =
      isDateAnchor(t.norm) ||
      NUMBER_SHAPES.some((re) => re.test(t.norm)) ||
      (k === i ? MODIFIERS.has(t.norm) : INNER_WORDS.has(t.norm));
    if (!ok) break;
    words.push(t.norm);
  }
  for (let n = words.length; n > 0; n--) {
    const candidate = words.slice(0, n);
    if (!candidate.some(isDateAnchor)) continue;
    const span = interpretDate(candidate, ctx);
    if (span) return { length: n, span };
  }
  return null;
}

/** `n` units after `ms` (negative: before): hours and minutes exactly, longer units on the calendar. */
function shift(ctx: DateContext, ms: number, unit: Unit, n: number): number {
  switch (unit) {
    case "minute":
      return ms + n * MINUTE_MS;
    case "hour":
      return ms + n * HOUR_MS;
    case "day":
      return ctx.zone.instant(addDays(ctx.zone.wall(ms), n));
    case "week":
      return ctx.zone.instant(addDays(ctx.zone.wall(ms), 7 * n));
    case "month":
      return ctx.zone.instant(addMonths(ctx.zone.wall(ms), n));
    case "year":
      return ctx.zone.instant(addMonths(ctx.zone.wall(ms), 12 * n));
  }
}

function unitOf(tokens: readonly Token[], i: number): Unit | undefined {
  return UNITS[norm(tokens, i) ?? ""];
}

function count(w: string | undefined): number | null {
  if (w === undefined) return null;
  if (/^\d{1,7}$/.test(w)) return Number(w);
  return NUMBER_WORDS[w] ?? null;
}

function norm(tokens: readonly Token[], i: number): string | undefined {
  const t = tokens[i];
  return t?.kind === "word" ? t.norm : undefined;
}
