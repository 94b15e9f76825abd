// Which test files exercise a module directly: what a test file imports, followed through the test
// helpers and fixtures it uses (tests/**) and through the entry point of a service it starts as a
// child process (`spawnService("services/worker/main.ts")` covers what that main.ts imports). The
// walk stops at the first production file: a test that reaches lib/auth only through the whole
// HTTP app is not counted for lib/auth, or every module would be "covered" by the ~40 API test files
// and one mutant would take minutes. A mutant is run against these files only.

import { dirname, join, normalize, relative } from "node:path";
import { Glob } from "bun";

const ROOT = normalize(join(import.meta.dir, "../.."));
const SOURCE_DIRS = ["lib", "services", "tests", "scripts"];
// A path a file names as a literal to start as a process, e.g. "services/worker/main.ts".
const SPAWNED = /["'`]((?:services|tests\/fixtures)\/[\w./-]+\.ts)["'`]/g;

const transpiler = new Bun.Transpiler({ loader: "ts" });

async function sourceFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const dir of SOURCE_DIRS) {
    for await (const f of new Glob(`${dir}/**/*.{ts,tsx}`).scan({ cwd: ROOT })) {
      if (!f.includes("node_modules") && !f.includes(".stryker-tmp")) files.push(f);
    }
  }
  return files;
}

async function edges(file: string): Promise<string[]> {
  const text = await Bun.file(join(ROOT, file)).text();
  const out: string[] = [];
  let imports: { path: string }[] = [];
  try {
    imports = transpiler.scanImports(text);
  } catch {
    // A file the transpiler cannot scan (tsx in another dialect) simply contributes no edges.
  }
  for (const imp of imports) {
    if (!imp.path.startsWith(".")) continue;
    out.push(normalize(relative(ROOT, join(ROOT, dirname(file), imp.path))));
  }
  for (const m of text.matchAll(SPAWNED)) out.push(normalize(m[1]!));
  return out;
}

/** Test files (repo-relative) whose transitive reach includes a file under one of `prefixes`. */
export async function coveringTests(prefixes: string[]): Promise<string[]> {
  const files = await sourceFiles();
  const graph = new Map<string, string[]>();
  await Promise.all(files.map(async (f) => graph.set(f, await edges(f))));
  const hits = (f: string) => prefixes.some((p) => f === p || f.startsWith(p.endsWith("/") ? p : `${p}/`));
  const tests = files.filter((f) => f.endsWith(".test.ts")).sort();
  return tests.filter((t) => {
    const seen = new Set<string>([t]);
    const stack = [t];
    while (stack.length > 0) {
      const f = stack.pop()!;
      if (f !== t && hits(f)) return true;
      if (f !== t && !f.startsWith("tests/") && !/^services\/[\w-]+\/main\.ts$/.test(f)) continue;
      for (const next of graph.get(f) ?? []) {
        if (!seen.has(next)) {
          seen.add(next);
          stack.push(next);
        }
      }
    }
    return false;
  });
}

if (import.meta.main) {
  for (const t of await coveringTests(process.argv.slice(2))) console.log(t);
}
