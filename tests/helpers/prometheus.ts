// Reading Prometheus text in tests, and the real Prometheus tools (Debian package `prometheus`)
// when they are installed (.ci/run installs them).

/** One sample line: name, labels, value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(LABEL)) labels[l[1] ?? ""] = (l[2] ?? "").replace(/\\(.)/g, "$1");
    out.push({ name: m[1] ?? "", labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of the samples of `name` whose labels include `match` (undefined when there is none). */
export function sampleValue(
  text: string,
  name: string,
  match: Record<string, string> = {},
): number | undefined {
  const hits = parseSamples(text).filter(
    (s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v),
  );
  return hits.length === 0 ? undefined : hits.reduce((a, s) => a + s.value, 0);
}

/** Names of every metric family with a # TYPE line. */
export function metricFamilies(text: string): Set<string> {
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] ?? ""));
}

/**
 * The promtool binary, or null with the reason printed once: tests that need it say so and skip
 * that part instead of failing on a machine where the package cannot be installed.
 */
export function promtool(): string | null {
  const found = Bun.which("promtool");
  if (!found) console.warn("SKIPPED: promtool not found (apt-get install prometheus); .ci/run installs it");
  return found;
}

/** Runs promtool with `args` (and `stdin`); returns its exit code and output. */
export async function runPromtool(
  bin: string,
  args: string[],
  stdin?: string,
): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn([bin, ...args], {
    stdin: stdin === undefined ? "ignore" : new Blob([stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, out, err] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  return { code, out: `${out}${err}` };
}
