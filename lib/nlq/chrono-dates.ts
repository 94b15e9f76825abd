import { casual, type ParsedComponents } from "chrono-node";
import { addDays, addMonths, isoWeekday, startOfDay, type Wall, wallAsUtc, type Zone } from "./zone.ts";

/** A stretch of time as UTC instants (ms): [start, end). A point has start === end. */
export interface Span {
  start: number;
  end: number;
}

export interface DateContext {
  zone: Zone;
  now: number;
  /** Which way an incomplete date leans: "Monday", "March" in the past or in the future. */
  prefer: "past" | "future";
  /**
   * For the second date of a range: an incomplete date is the first one not before this instant,
   * so "from Friday to Monday" ends on the Monday after that Friday.
   */
  notBefore?: number;
}

const HOUR_MS = 3_600_000;

/**
 * The one place chrono-node is used: one date or time-of-day expression ("yesterday",
 * "2026-11-28", "Nov 28", "last Friday at 10am", "14:30 UTC") → the stretch it names.
 *
 * chrono reads the words; the instants are computed here. chrono's reference `timezone` only takes
 * abbreviations or a fixed offset (an IANA name is silently ignored), and a fixed offset is wrong
 * for a date on the far side of a DST change. So chrono gets the caller's offset at `now` (which
 * makes its "today" the caller's today) and only its calendar fields are used; they are turned
 * into instants by `zone`, day boundaries included, so a 23- or 25-hour day comes out right.
 *
 * Returns null unless chrono reads the whole text as exactly one date, so a word is never
 * half-understood. Numeric dates that read differently in the US and elsewhere (03/04) are
 * refused rather than guessed.
 */
export function interpretDate(words: readonly string[], ctx: DateContext): Span | null {
  const text = words.join(" ");
  if (words.some(isAmbiguousSlashDate)) return null;
  const results = casual.parse(text, {
    instant: new Date(ctx.now),
    timezone: ctx.zone.offsetMinutes(ctx.now),
  });
  const [r] = results;
  if (results.length !== 1 || r === undefined || r.index !== 0 || r.text.length !== text.length || r.end) {
    return null;
  }
  const c = r.start;
  const certain = (k: Parameters<ParsedComponents["isCertain"]>[0]) => c.isCertain(k);
  const get = (k: Parameters<ParsedComponents["get"]>[0]) => c.get(k) ?? 0;

  const time = certain("hour")
    ? { hour: get("hour"), minute: get("minute"), second: certain("second") ? get("second") : 0 }
    : null;
  // The length of what was named: "14:30" a minute, "10am" an hour, "14:30:15" a second.
  const timeLength =
    time === null ? 0 : certain("second") ? 1000 : certain("minute") && time.minute !== 0 ? 60_000 : HOUR_MS;
  const explicitOffset = certain("timezoneOffset") ? get("timezoneOffset") : null;
  const toInstant = (w: Wall) =>
    explicitOffset === null ? ctx.zone.instant(w) : wallAsUtc(w) - explicitOffset * 60_000;

  const today = startOfDay(ctx.zone.wall(ctx.now));
  let day: Wall;
  if (certain("day")) {
    day = { ...today, year: get("year"), month: get("month"), day: get("day") };
    if (!certain("year"))
      day = leanYear(day, ctx, (d) => ({ start: toInstant(d), end: toInstant(addDays(d, 1)) }));
  } else if (certain("weekday")) {
    day =
      ctx.notBefore === undefined
        ? resolveWeekday(today, get("weekday"), words[0] ?? "", ctx.prefer)
        : resolveWeekday(startOfDay(ctx.zone.wall(ctx.notBefore)), get("weekday"), words[0] ?? "", "future");
  } else if (certain("month")) {
    // A month alone: the whole month.
    const monthSpan = (d: Wall) => ({ start: toInstant(d), end: toInstant(addMonths(d, 1)) });
    let first: Wall = { ...today, year: get("year"), month: get("month"), day: 1 };
    if (!certain("year")) first = leanYear(first, ctx, monthSpan);
    return time === null ? monthSpan(first) : null;
  } else if (time !== null) {
    day = today; // a time of day alone is today's
  } else {
    return null;
  }
  if (time === null) return { start: toInstant(day), end: toInstant(addDays(day, 1)) };
  const start = toInstant({ ...day, ...time });
  return { start, end: start + timeLength };
}

/**
 * A date written without a year is the latest one that has begun (past) or the first that has not
 * ended (future): on 2026-11-30, "Dec 5" searched in received_at is 2025-12-05, "March" in
 * expires_at is March 2027, and "November" is the current month either way. A range's second
 * date is the first one that has not ended by the range's start.
 */
function leanYear(d: Wall, ctx: DateContext, spanOf: (d: Wall) => Span): Wall {
  const ref = ctx.notBefore ?? ctx.now;
  const thisYear = { ...d, year: ctx.zone.wall(ref).year };
  const span = spanOf(thisYear);
  if (ctx.notBefore === undefined && ctx.prefer === "past") {
    return span.start <= ref ? thisYear : { ...thisYear, year: thisYear.year - 1 };
  }
  return span.end > ref ? thisYear : { ...thisYear, year: thisYear.year + 1 };
}

/**
 * chrono leans a bare weekday to the nearest one; a search wants a direction. "last Monday" is the
 * latest Monday before today; "next Monday" the first after today; a bare "Monday" (or "this
 * Monday") today if today is Monday, else the latest one (past) or the next one (future).
 */
function resolveWeekday(today: Wall, chronoWeekday: number, first: string, prefer: "past" | "future"): Wall {
  const want = (chronoWeekday + 6) % 7; // chrono: 0 = Sunday; ours: 0 = Monday
  const back = (isoWeekday(today) - want + 7) % 7;
  const ahead = (want - isoWeekday(today) + 7) % 7;
  if (first === "last" || first === "previous") return addDays(today, -(back === 0 ? 7 : back));
  if (first === "next") return addDays(today, ahead === 0 ? 7 : ahead);
  return prefer === "past" ? addDays(today, -back) : addDays(today, ahead);
}

/** "03/04": March 4th in the US, 3 April elsewhere. "11/28" and "28/11" can only be one date. */
function isAmbiguousSlashDate(word: string): boolean {
  const m = /^(\d{1,2})\/(\d{1,2})(?:\/\d{2,4})?$/.exec(word);
  if (!m) return false;
  const a = Number(m[1]);
  const b = Number(m[2]);
  return a <= 12 && b <= 12 && a !== b;
}
