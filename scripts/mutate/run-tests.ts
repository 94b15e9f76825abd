// The command Stryker's command runner runs for each mutant, in the sandbox:
// `bun scripts/mutate/run-tests.ts <module>`. It finds which mutated file holds the active mutant
// (`__STRYKER_ACTIVE_MUTANT__`; Stryker's instrumented code calls `stryMutAct_9fa48("<id>")` at every
// mutant) and runs only that file's tests (scripts/mutate/modules.ts `testsFor`), stopping at the
// first failure: one failing test is enough to kill a mutant. Without an active mutant (Stryker's
// dry run) it runs every test the module lists, so the dry run proves all of them pass unmutated.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { Glob } from "bun";
import { allTests, MODULES, testsFor } from "./modules.ts";

const name = process.argv[2] ?? "";
const mod = MODULES[name];
if (mod === undefined) {
  console.error(`run-tests: unknown module "${name}"`);
  process.exit(2);
}

async function fileOfMutant(id: string): Promise<string | undefined> {
  const marker = new RegExp(`stryMutAct_9fa48\\(["']${id}["']\\)`);
  const excluded = mod!.mutate.filter((g) => g.startsWith("!")).map((g) => new Glob(g.slice(1)));
  for (const pattern of mod!.mutate.filter((g) => !g.startsWith("!"))) {
    for await (const f of new Glob(pattern).scan({ cwd: "." })) {
      if (excluded.some((g) => g.match(f))) continue;
      if (marker.test(await Bun.file(f).text())) return f;
    }
  }
  return undefined;
}

const active = process.env.__STRYKER_ACTIVE_MUTANT__;
let tests: string[];
if (active === undefined) {
  tests = allTests(mod);
} else {
  const file = await fileOfMutant(active);
  // A mutant found in no mutated file cannot happen; run everything rather than guess.
  tests = file === undefined ? allTests(mod) : testsFor(mod, file);
}
// `bun test` and everything it starts (services, cloudsim, throwaway databases) run in a process
// group of their own, so that all of it can be killed at once: when Stryker gives up on a mutant
// (a timeout) it kills its test-runner worker, and this process is then orphaned; without this,
// the test run and the services it started lived on, taking the cores of later mutants.
const child = spawn("bun", ["test", "--timeout", "60000", "--bail", ...tests], {
  stdio: "inherit",
  detached: true,
});
const killGroup = () => {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
  } catch {
    // Already gone.
  }
};
// Stryker's command runner starts this through `sh -c`, and on a timeout kills its own worker, not
// the shell: so watch the shell's parent as well as our own (Linux /proc; elsewhere only ours).
const parentOf = (pid: number): number | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
};
const parent = process.ppid;
const grandparent = parentOf(parent);
const watch = setInterval(() => {
  if (process.ppid !== parent || parentOf(parent) !== grandparent) {
    killGroup();
    process.exit(1);
  }
}, 500);
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
  process.on(signal, () => {
    killGroup();
    process.exit(1);
  });
}
const code = await new Promise<number>((resolve) =>
  child.on("exit", (c, sig) => resolve(c ?? (sig ? 1 : 0))),
);
clearInterval(watch);
// Whatever the test run left behind (a service a failing test did not stop) goes with it.
killGroup();
process.exit(code);
