import { type ListFilters, type SetFilter, STUCK_AFTER_MINUTES } from "../requests/list-filters.ts";
import { addDays, formatWall, type Zone } from "./zone.ts";

/**
 * One chip per filter, in a fixed order, read from the filters alone (so filters from anywhere —
 * the parser, a URL, another interpreter — explain the same way). Times are shown in the caller's
 * zone and name it: "received 2026-11-30 00:00 – 24:00 Europe/Berlin".
 */
export function explainFilters(f: ListFilters, zone: Zone): string[] {
  return explainChips(f, zone).map((c) => c.text);
}

/** One chip: its text and the filter fields it stands for (removing the chip removes them). */
export interface FilterChip {
  text: string;
  fields: (keyof ListFilters)[];
}

/** The chips of explainFilters, each with the fields it shows (the dashboard removes chips). */
export function explainChips(f: ListFilters, zone: Zone): FilterChip[] {
  const chips: FilterChip[] = [];
  const add = (text: string | null, ...fields: (keyof ListFilters)[]) => {
    if (text !== null) chips.push({ text, fields });
  };
  if (f.status) add(setChip("status", f.status), "status");
  if (f.stuck) add(`stuck: PENDING or PROCESSING, unchanged for ${STUCK_AFTER_MINUTES}+ min`, "stuck");
  if (f.revocation_status) add(setChip("revocation_status", f.revocation_status), "revocation_status");
  if (f.provider) add(setChip("provider", f.provider), "provider");
  if (f.action) add(setChip("action", f.action), "action");
  add(timeChip("received", f.from, f.to, zone), "from", "to");
  add(timeChip("expires", f.expires_from, f.expires_to, zone), "expires_from", "expires_to");
  if (f.principal) add(listChip("principal", f.principal), "principal");
  if (f.ticket) add(listChip("ticket", f.ticket), "ticket");
  if (f.client) add(listChip("client", f.client), "client");
  if (f.text) add(`text contains ${f.text.map((t) => JSON.stringify(t)).join(" and ")}`, "text");
  return chips;
}

function setChip(name: string, set: SetFilter<string>): string {
  if ("in" in set)
    return set.in.length === 1 ? `${name} = ${set.in[0]}` : `${name} in (${set.in.join(", ")})`;
  return set.not_in.length === 1 ? `${name} ≠ ${set.not_in[0]}` : `${name} not in (${set.not_in.join(", ")})`;
}

function listChip(name: string, values: readonly string[]): string {
  return values.length === 1 ? `${name} = ${values[0]}` : `${name} in (${values.join(", ")})`;
}

/**
 * "received 2026-11-30 00:00 – 24:00 UTC" for a day, "received 2026-11-23 00:00 – 2026-11-30
 * 00:00 UTC" across days, "received since …" / "received before …" for one bound.
 */
function timeChip(name: string, from: string | undefined, to: string | undefined, zone: Zone): string | null {
  const zoneName = zone.name;
  if (from === undefined && to === undefined) return null;
  if (from === undefined) return `${name} before ${formatWall(zone.wall(Date.parse(to ?? "")))} ${zoneName}`;
  const start = zone.wall(Date.parse(from));
  const startText = formatWall(start);
  if (to === undefined) return `${name} since ${startText} ${zoneName}`;
  const end = zone.wall(Date.parse(to));
  const endText = formatWall(end);
  const [startDate] = startText.split(" ");
  const [endDate, endTime] = endText.split(" ");
  if (endDate === startDate) return `${name} ${startText} – ${endTime} ${zoneName}`;
  const nextDay = formatWall(addDays({ ...start, hour: 0, minute: 0, second: 0 }, 1));
  if (endText === nextDay) return `${name} ${startText} – 24:00 ${zoneName}`;
  return `${name} ${startText} – ${endText} ${zoneName}`;
}
