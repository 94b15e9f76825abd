// Turns one pino JSON line into `[svc] 12:00:01 INFO msg key=value …` for `bun run dev`.
const LEVEL_COLOUR: Record<string, string> = {
  trace: "\x1b[90m",
  debug: "\x1b[36m",
  info: "\x1b[32m",
  warn: "\x1b[33m",
  error: "\x1b[31m",
  fatal: "\x1b[41m",
};
const SKIP = new Set(["level", "time", "msg", "service", "version", "pid", "hostname"]);

export function prettyLine(name: string, line: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `[${name}] ${line}`;
  }
  const level = String(rec.level ?? "info");
  const time = typeof rec.time === "string" ? rec.time.slice(11, 19) : "";
  const rest = Object.entries(rec)
    .filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  return `[${name}] ${time} ${LEVEL_COLOUR[level] ?? ""}${level.toUpperCase()}\x1b[0m ${String(rec.msg ?? "")} ${rest}`;
}
