// `bun run mutate [module...] [--mutate <stryker-mutate-spec>] [--concurrency N] [--timeout-ms N]`: mutation testing
// of the guarantee-critical modules (scripts/mutate/modules.ts), one StrykerJS run per module so each
// mutant is run against that module's own tests only, then `bun run mutate:lua` style hand-written
// mutants of the queue's Lua scripts (scripts/mutate/lua.ts) when "queue" is chosen. Writes
// reports/mutation/<module>.json (Stryker's report) and reports/mutation/summary.md (every module's
// latest numbers). Not part of `bun run test` or CI: a full run takes the better part of an hour.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { runLuaMutants } from "./lua.ts";
import { MODULES } from "./modules.ts";
import { readSummaries, type Summary, summarise, writeSummaryFile } from "./summary.ts";

const ROOT = join(import.meta.dir, "../..");
const REPORTS = join(ROOT, "reports/mutation");

interface Args {
  modules: string[];
  /** Stryker `mutate` globs or `file:line-line` ranges (comma-separated on the command line). */
  mutate: string[] | undefined;
  concurrency: number;
  timeoutMs: number;
  lua: boolean;
  /**
   * Names this run apart (`<module>-<label>`: its sandbox, report and summary row), so that two
   * narrowed runs of one module can go at once without deleting each other's sandbox.
   */
  label: string | undefined;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    modules: [],
    mutate: undefined,
    concurrency: 2,
    timeoutMs: 20_000,
    lua: true,
    label: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--mutate") args.mutate = (argv[++i] ?? "").split(",").filter(Boolean);
    else if (a === "--concurrency") args.concurrency = Number(argv[++i]);
    else if (a === "--timeout-ms") args.timeoutMs = Number(argv[++i]);
    else if (a === "--no-lua") args.lua = false;
    else if (a === "--label") args.label = argv[++i] ?? "";
    else if (a in MODULES || a === "lua") args.modules.push(a);
    else {
      console.error(
        `usage: bun run mutate [${[...Object.keys(MODULES), "lua"].join("|")} ...] [--mutate <spec>] [--concurrency N] [--timeout-ms N] [--no-lua] [--label L]`,
      );
      process.exit(2);
    }
  }
  if (args.modules.length === 0) args.modules = Object.keys(MODULES);
  if (args.mutate !== undefined && args.modules.length !== 1) {
    console.error("--mutate narrows one module's run: name exactly one module");
    process.exit(2);
  }
  if (args.label !== undefined && (args.mutate === undefined || !/^[a-z0-9-]{1,40}$/.test(args.label))) {
    console.error("--label names a narrowed run (with --mutate): lower-case letters, digits and -");
    process.exit(2);
  }
  if (!Number.isInteger(args.concurrency) || args.concurrency < 1) {
    console.error("--concurrency takes a positive integer");
    process.exit(2);
  }
  if (!Number.isInteger(args.timeoutMs) || args.timeoutMs < 1000) {
    console.error("--timeout-ms takes an integer of at least 1000");
    process.exit(2);
  }
  return args;
}

/** The run's name: the module's, or `<module>-<label>` for a labelled narrowed run. */
const runName = (name: string, args: Args) => (args.label ? `${name}-${args.label}` : name);

function strykerConfig(name: string, args: Args): Record<string, unknown> {
  const mod = MODULES[name]!;
  const run = runName(name, args);
  return {
    $schema: "../../node_modules/@stryker-mutator/core/schema/stryker-schema.json",
    // The command runner is the only Stryker test runner that can drive `bun test`; it knows no
    // per-test coverage ("off" is required), so run-tests.ts narrows each mutant to its file's list.
    testRunner: "command",
    commandRunner: { command: `bun scripts/mutate/run-tests.ts ${name}` },
    coverageAnalysis: "off",
    // Mutants in debug/info/warn log calls are Ignored (scripts/mutate/log-text-ignorer.ts).
    appendPlugins: ["./scripts/mutate/log-text-ignorer.ts"],
    ignorers: ["log-text"],
    // Mutants that do not type-check are reported as CompileError and not run or counted.
    checkers: ["typescript"],
    tsconfigFile: "scripts/mutate/tsconfig.json",
    typescriptChecker: { prioritizePerformanceOverAccuracy: true },
    mutate: args.mutate ?? mod.mutate,
    concurrency: args.concurrency,
    // A mutant is a timeout after (its tests' unmutated time × factor + timeoutMS). Raise both with
    // --timeout-ms when other test runs share the cores: a slow mutant is not an infinite loop.
    timeoutMS: args.timeoutMs,
    timeoutFactor: 1.5,
    dryRunTimeoutMinutes: 10,
    // One temp dir per module: runs of two modules at once must not delete each other's sandbox.
    tempDirName: `.stryker-tmp/${run}`,
    cleanTempDir: "always",
    // The sandbox needs only what the tests load; the UI bundle, benchmarks and reports are not, nor
    // other modules' sandboxes (Stryker skips only its own temp dir).
    ignorePatterns: ["reports", "bench", "ui/dist", "artifacts", ".dev", "dist", ".stryker-tmp"],
    reporters: ["clear-text", "progress", "json"],
    jsonReporter: { fileName: `reports/mutation/${run}.json` },
    clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
    thresholds: { high: 90, low: 85, break: null },
  };
}

async function runStryker(name: string, args: Args): Promise<number> {
  const configFile = join(REPORTS, `${runName(name, args)}.stryker.json`);
  await Bun.write(configFile, `${JSON.stringify(strykerConfig(name, args), null, 2)}\n`);
  // Stryker is a Node program (its worker processes are forked with Node's IPC); Bun runs the tests.
  const proc = Bun.spawn(
    ["bun", "node_modules/@stryker-mutator/core/bin/stryker.js", "run", configFile, "--logLevel", "info"],
    { cwd: ROOT, stdout: "inherit", stderr: "inherit" },
  );
  // Stopping this script stops Stryker too (which stops its workers); otherwise it ran on alone.
  const stop = () => proc.kill("SIGTERM");
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  try {
    return await proc.exited;
  } finally {
    process.off("SIGTERM", stop);
    process.off("SIGINT", stop);
  }
}

const args = parseArgs(process.argv.slice(2));
mkdirSync(REPORTS, { recursive: true });
const fresh: Summary[] = [];
let failed = false;
for (const name of args.modules) {
  const started = Date.now();
  if (name === "lua") {
    fresh.push(await runLuaMutants(REPORTS));
    continue;
  }
  const code = await runStryker(name, args);
  if (code !== 0) {
    console.error(`stryker for ${name} exited ${code}`);
    failed = true;
    continue;
  }
  const s = await summarise(
    runName(name, args),
    join(REPORTS, `${runName(name, args)}.json`),
    args.mutate?.join(", "),
    Date.now() - started,
  );
  fresh.push(s);
  if (name === "queue" && args.lua && args.mutate === undefined) fresh.push(await runLuaMutants(REPORTS));
}
const all = await readSummaries(REPORTS, fresh);
await writeSummaryFile(REPORTS, all);
console.log(await Bun.file(join(REPORTS, "summary.md")).text());
process.exit(failed ? 1 : 0);
