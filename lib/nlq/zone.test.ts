import { describe, expect, test } from "bun:test";
import { SearchQueryError } from "./errors.ts";
import { addDays, addMonths, createZone, formatWall, isoWeekday, type Wall } from "./zone.ts";

const wall = (s: string): Wall => {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})$/.exec(s);
  if (!m) throw new Error(`bad wall ${s}`);
  const [, y, mo, d, h, mi] = m.map(Number);
  return { year: y ?? 0, month: mo ?? 0, day: d ?? 0, hour: h ?? 0, minute: mi ?? 0, second: 0 };
};
const iso = (ms: number) => new Date(ms).toISOString();

describe("createZone", () => {
  test("canonical names; invalid ones are a typed error", () => {
    expect(createZone("utc").name).toBe("UTC");
    expect(createZone("europe/berlin").name).toBe("Europe/Berlin");
    expect(() => createZone("Nowhere/Special")).toThrow(SearchQueryError);
  });

  test("offsets follow DST", () => {
    const ny = createZone("America/New_York");
    expect(ny.offsetMinutes(Date.parse("2026-01-15T12:00:00Z"))).toBe(-300);
    expect(ny.offsetMinutes(Date.parse("2026-07-15T12:00:00Z"))).toBe(-240);
    expect(createZone("Asia/Kathmandu").offsetMinutes(Date.parse("2026-07-15T12:00:00Z"))).toBe(345);
  });
});

describe("wall clock → instant", () => {
  const ny = createZone("America/New_York");

  test("ordinary times", () => {
    expect(iso(ny.instant(wall("2026-03-07 00:00")))).toBe("2026-03-07T05:00:00.000Z");
    expect(iso(ny.instant(wall("2026-03-09 00:00")))).toBe("2026-03-09T04:00:00.000Z");
  });

  test("a time skipped by spring-forward lands just after the gap", () => {
    expect(iso(ny.instant(wall("2026-03-08 02:30")))).toBe("2026-03-08T07:30:00.000Z"); // 03:30 EDT
    expect(formatWall(ny.wall(ny.instant(wall("2026-03-08 02:30"))))).toBe("2026-03-08 03:30");
  });

  test("a time repeated by fall-back is its first occurrence", () => {
    expect(iso(ny.instant(wall("2026-11-01 01:30")))).toBe("2026-11-01T05:30:00.000Z"); // 01:30 EDT
  });

  test("every wall time of a DST year maps back to itself (the first of a repeated one)", () => {
    const wrong: string[] = [];
    for (const tz of ["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Pacific/Chatham"]) {
      const z = createZone(tz);
      for (
        let ms = Date.parse("2026-01-01T00:00:00Z");
        ms < Date.parse("2027-01-01T00:00:00Z");
        ms += 1_800_000
      ) {
        const w = z.wall(ms);
        const back = z.instant(w);
        const ok = formatWall(z.wall(back)) === formatWall(w) && back <= ms && ms - back <= 3_600_000;
        if (!ok) wrong.push(`${tz} ${iso(ms)} → ${iso(back)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  test("a zone whose day starts at 01:00 on its DST day", () => {
    // Santiago moves from 00:00 to 01:00 on 2026-09-06: that day has no midnight.
    const scl = createZone("America/Santiago");
    expect(formatWall(scl.wall(scl.instant(wall("2026-09-06 00:00"))))).toBe("2026-09-06 01:00");
  });
});

describe("calendar arithmetic", () => {
  test("days and months on the wall clock", () => {
    expect(formatWall(addDays(wall("2026-02-28 10:00"), 1))).toBe("2026-03-01 10:00");
    expect(formatWall(addMonths(wall("2026-03-31 10:00"), -1))).toBe("2026-02-28 10:00");
    expect(formatWall(addMonths(wall("2028-03-31 10:00"), -1))).toBe("2028-02-29 10:00");
    expect(formatWall(addMonths(wall("2026-11-30 10:00"), 2))).toBe("2027-01-30 10:00");
    expect(isoWeekday(wall("2026-11-30 10:00"))).toBe(0); // a Monday
  });
});
