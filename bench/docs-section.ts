// Benchmarks print their tables; only with --write-docs does one replace its own section of
// docs/benchmarks.md (from its "## Title" line up to the next "## "), so a run never rewrites a
// tracked file unasked.
import { resolve } from "node:path";

export const BENCHMARKS_DOC = resolve(import.meta.dir, "../docs/benchmarks.md");

/** Replaces (or appends) the section that starts with `## ${title}`. */
export async function writeDocsSection(title: string, body: readonly string[]): Promise<void> {
  const doc = await Bun.file(BENCHMARKS_DOC).text();
  const heading = `## ${title}\n`;
  const section = `${heading}\n${body.join("\n").trim()}\n`;
  const start = doc.indexOf(heading);
  const end = start < 0 ? -1 : doc.indexOf("\n## ", start + 1);
  const out =
    start < 0
      ? `${doc.trimEnd()}\n\n${section}`
      : `${doc.slice(0, start)}${section}${end < 0 ? "" : `\n${doc.slice(end + 1)}`}`;
  await Bun.write(BENCHMARKS_DOC, out);
  console.log(`wrote the "${title}" section of ${BENCHMARKS_DOC}`);
}
