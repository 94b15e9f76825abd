import { SearchQueryError } from "./errors.ts";

/** A wall-clock reading: a calendar date and a time of day, with no zone attached. */
export interface Wall {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The caller's time zone, validated once; all calendar arithmetic of one parse goes through it. */
export interface Zone {
  /** The canonical IANA name ("UTC", "Europe/Berlin"), as shown in explanations. */
  readonly name: string;
  /** The wall clock in this zone at an instant (ms since the epoch). */
  wall(ms: number): Wall;
  /** Minutes east of UTC at an instant (Berlin in winter: 60). */
  offsetMinutes(ms: number): number;
  /**
   * The instant a wall-clock time happens. A time skipped by a DST change (02:30 on a
   * spring-forward night) resolves to the moment after the gap (03:30); a repeated one (01:30 on a
   * fall-back night) to its first occurrence, as Temporal's "compatible" disambiguation does.
   */
  instant(w: Wall): number;
}

const MAX_TZ_LENGTH = 64;
const DAY_MS = 86_400_000;

/** Validates `tz` with Intl; throws SearchQueryError("invalid_timezone") for anything else. */
export function createZone(tz: string): Zone {
  let format: Intl.DateTimeFormat;
  try {
    if (tz.length === 0 || tz.length > MAX_TZ_LENGTH) throw new RangeError("bad length");
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      era: "short",
    });
  } catch {
    throw new SearchQueryError("invalid_timezone", "tz", "must be an IANA time zone such as Europe/Berlin");
  }
  const name = format.resolvedOptions().timeZone;

  const wall = (ms: number): Wall => {
    const parts: Record<string, string> = {};
    for (const p of format.formatToParts(new Date(ms))) parts[p.type] = p.value;
    const year = Number(parts.year);
    return {
      year: parts.era === "BC" || parts.era === "B" ? 1 - year : year,
      month: Number(parts.month),
      day: Number(parts.day),
      hour: Number(parts.hour) % 24,
      minute: Number(parts.minute),
      second: Number(parts.second),
    };
  };
  const offsetMinutes = (ms: number): number => {
    const whole = Math.floor(ms / 1000) * 1000;
    return Math.round((wallAsUtc(wall(whole)) - whole) / 60_000);
  };
  const instant = (w: Wall): number => {
    const local = wallAsUtc(w);
    // No zone changes its offset twice within two days: the offsets a day either side are the
    // only candidates.
    const before = offsetMinutes(local - DAY_MS);
    const after = offsetMinutes(local + DAY_MS);
    const fits = (offset: number) => {
      const t = local - offset * 60_000;
      return offsetMinutes(t) === offset ? t : null;
    };
    const a = fits(before);
    const b = fits(after);
    if (a !== null && b !== null) return Math.min(a, b);
    // In a gap neither fits; reading the wall time with the earlier offset lands after the gap.
    return a ?? b ?? local - before * 60_000;
  };
  return { name, wall, offsetMinutes, instant };
}

/** The wall-clock fields read as if they were UTC: plain calendar arithmetic, no zone. */
export function wallAsUtc(w: Wall): number {
  const d = new Date(0);
  d.setUTCFullYear(w.year, w.month - 1, w.day);
  d.setUTCHours(w.hour, w.minute, w.second, 0);
  return d.getTime();
}

function fromUtc(ms: number): Wall {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

/** The calendar date `days` after w's (negative: before), keeping the time of day. */
export function addDays(w: Wall, days: number): Wall {
  return fromUtc(wallAsUtc(w) + days * DAY_MS);
}

/** `months` calendar months after w, the day clamped to the month's length (Mar 31 − 1 → Feb 28). */
export function addMonths(w: Wall, months: number): Wall {
  const index = w.year * 12 + (w.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  return { ...w, year, month, day: Math.min(w.day, daysInMonth(year, month)) };
}

function daysInMonth(year: number, month: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, 0); // day 0 of the next month: the last day of this one
  return d.getUTCDate();
}

export function startOfDay(w: Wall): Wall {
  return { ...w, hour: 0, minute: 0, second: 0 };
}

/** 0 = Monday … 6 = Sunday (ISO weeks start on Monday). */
export function isoWeekday(w: Wall): number {
  return (new Date(wallAsUtc(w)).getUTCDay() + 6) % 7;
}

/** "2026-11-30 14:05" (seconds only when there are some), in the zone's wall clock. */
export function formatWall(w: Wall): string {
  const p2 = (n: number) => String(n).padStart(2, "0");
  const date = `${String(w.year).padStart(4, "0")}-${p2(w.month)}-${p2(w.day)}`;
  const time = `${p2(w.hour)}:${p2(w.minute)}${w.second === 0 ? "" : `:${p2(w.second)}`}`;
  return `${date} ${time}`;
}
