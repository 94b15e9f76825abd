// Counts a Stryker JSON report (mutation-testing-report-schema) per status and keeps each module's
// latest counts in reports/mutation/<module>.summary.json, so `bun run mutate auth` refreshes one row
// of summary.md without losing the others.
import { readdirSync } from "node:fs";
import { join } from "node:path";

export interface Survivor {
  file: string;
  line: number;
  mutator: string;
  replacement: string;
  status: string;
}

export interface Summary {
  module: string;
  measured: string;
  date: string;
  minutes: number;
  killed: number;
  survived: number;
  timeout: number;
  noCoverage: number;
  compileError: number;
  runtimeError: number;
  ignored: number;
  /** Stryker's score: (killed + timeout) / (killed + timeout + survived + no coverage). */
  score: number;
  survivors: Survivor[];
}

interface ReportMutant {
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number } };
}

interface Report {
  files: Record<string, { mutants: ReportMutant[] }>;
}

export function score(s: Pick<Summary, "killed" | "timeout" | "survived" | "noCoverage">): number {
  const detected = s.killed + s.timeout;
  const valid = detected + s.survived + s.noCoverage;
  return valid === 0 ? 100 : Math.round((detected / valid) * 10_000) / 100;
}

export async function summarise(
  module: string,
  reportFile: string,
  mutate: string | undefined,
  ms: number,
): Promise<Summary> {
  const report = (await Bun.file(reportFile).json()) as Report;
  const counts = {
    killed: 0,
    survived: 0,
    timeout: 0,
    noCoverage: 0,
    compileError: 0,
    runtimeError: 0,
    ignored: 0,
  };
  const survivors: Survivor[] = [];
  for (const [file, { mutants }] of Object.entries(report.files)) {
    for (const m of mutants) {
      if (m.status === "Killed") counts.killed++;
      else if (m.status === "Survived") counts.survived++;
      else if (m.status === "Timeout") counts.timeout++;
      else if (m.status === "NoCoverage") counts.noCoverage++;
      else if (m.status === "CompileError") counts.compileError++;
      else if (m.status === "RuntimeError") counts.runtimeError++;
      else counts.ignored++;
      if (m.status === "Survived" || m.status === "NoCoverage") {
        survivors.push({
          file,
          line: m.location.start.line,
          mutator: m.mutatorName,
          replacement: (m.replacement ?? "").replace(/\s+/g, " ").slice(0, 80),
          status: m.status,
        });
      }
    }
  }
  const s: Summary = {
    module,
    measured: mutate ?? "all files",
    date: new Date().toISOString().slice(0, 16).replace("T", " "),
    minutes: Math.round(ms / 600) / 100,
    ...counts,
    score: score(counts),
    survivors,
  };
  await Bun.write(join(reportFile, `../${module}.summary.json`), `${JSON.stringify(s, null, 2)}\n`);
  return s;
}

export async function readSummaries(dir: string, fresh: Summary[]): Promise<Summary[]> {
  const byModule = new Map<string, Summary>();
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith(".summary.json"))
    .sort()) {
    const s = (await Bun.file(join(dir, f)).json()) as Summary;
    byModule.set(s.module, s);
  }
  for (const s of fresh) byModule.set(s.module, s);
  return [...byModule.values()];
}

export async function writeSummaryFile(dir: string, all: Summary[]): Promise<void> {
  const lines = [
    "| module | measured | killed | survived | timeout | no coverage | compile error | score | minutes | date (UTC) |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...all.map(
      (s) =>
        `| ${s.module} | ${s.measured} | ${s.killed} | ${s.survived} | ${s.timeout} | ${s.noCoverage} | ${s.compileError} | ${s.score.toFixed(2)}% | ${s.minutes} | ${s.date} |`,
    ),
    "",
    "## Survivors",
    "",
    ...all.flatMap((s) =>
      s.survivors.map(
        (v) => `- ${s.module}: ${v.file}:${v.line} ${v.mutator} → \`${v.replacement}\` (${v.status})`,
      ),
    ),
    "",
  ];
  await Bun.write(join(dir, "summary.md"), lines.join("\n"));
}
