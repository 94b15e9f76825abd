// The command Stryker's command runner runs for each mutant, in the sandbox:
// `bun scripts/mutate/run-tests.ts <module>`. It finds which mutated file holds the active mutant
// (`__STRYKER_ACTIVE_MUTANT__`; Stryker's instrumented code calls `stryMutAct_9fa48("<id>")` at every
// mutant) and runs only that file's tests (scripts/mutate/modules.ts `testsFor`), stopping at the
// first failure: one failing test is enough to kill a mutant. Without an active mutant (Stryker's
// dry run) it runs every test the module lists, so the dry run proves all of them pass unmutated.
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
const proc = Bun.spawn(["bun", "test", "--timeout", "60000", "--bail", ...tests], {
  stdout: "inherit",
  stderr: "inherit",
});
process.exit(await proc.exited);
