// `bun run soak [--minutes N | --runs N] [--seed S] [--commands N] [--shrink-seconds N]`: the
// revocation model (tests/model) for as long as asked, one seed per case (seed, seed+1, ...), each
// printed with its outcome. Stops at the first invariant violation, prints the shrunk sequence,
// how to replay it, and exits 1. Needs the PostgreSQL and Redis `bun run test` needs (the Redis
// the model wipes is a throwaway one it starts itself).
import { parseArgs } from "node:util";
import { modelEnv, runModelCase } from "../tests/model/run-model.ts";
import { startSharedInfra } from "../tests/model/system.ts";

const { values } = parseArgs({
  options: {
    minutes: { type: "string" },
    runs: { type: "string" },
    seed: { type: "string" },
    commands: { type: "string" },
    "shrink-seconds": { type: "string" },
  },
});
const env = modelEnv();
const num = (v: string | undefined, d: number) => (v === undefined ? d : Number(v));
const minutes = num(values.minutes, values.runs === undefined ? 10 : Number.POSITIVE_INFINITY);
const runs = num(values.runs, Number.POSITIVE_INFINITY);
const seed0 = num(values.seed, env.seed);
const maxCommands = num(values.commands, env.maxCommands);
const shrinkBudgetMs = num(values["shrink-seconds"], env.shrinkBudgetMs / 1000) * 1000;
if (![minutes, runs, seed0, maxCommands, shrinkBudgetMs].every((n) => !Number.isNaN(n))) {
  console.error(
    "usage: bun run soak [--minutes N | --runs N] [--seed S] [--commands N] [--shrink-seconds N]",
  );
  process.exit(2);
}

const started = Date.now();
const deadline = started + minutes * 60_000;
console.log(
  `soak: revocation model from seed ${seed0}, up to ${maxCommands} commands per case, ` +
    `${Number.isFinite(runs) ? `${runs} cases` : `${minutes} minutes`}`,
);
const infra = await startSharedInfra();
const totals = { cases: 0, grants: 0, success: 0, failed: 0, revoked: 0, skipped: 0, maxLatenessMs: 0 };
let failed = false;
try {
  for (let i = 0; i < runs && Date.now() < deadline; i++) {
    const seed = seed0 + i;
    const r = await runModelCase({
      infra,
      seed,
      maxCommands,
      shrinkBudgetMs,
      logLevel: env.logLevel,
      preExistingAfterGrants: env.preExistingAfterGrants,
      log: (l) => console.log(l),
    });
    totals.cases++;
    if (!r.ok) {
      console.error(
        `\nINVARIANT VIOLATED at seed ${seed} — replay: MODEL_SEED=${seed} MODEL_RUNS=1 MODEL_COMMANDS=${maxCommands}` +
          ` bun test tests/model; the shrunk sequence alone: ${r.replay ?? "(no path)"} bun test tests/model`,
      );
      console.error(r.failure);
      failed = true;
      break;
    }
    const o = r.outcome;
    if (o) {
      totals.grants += o.grants;
      totals.success += o.success;
      totals.failed += o.failed;
      totals.revoked += o.revoked;
      totals.skipped += o.skipped;
      totals.maxLatenessMs = Math.max(totals.maxLatenessMs, o.maxLatenessMs);
    }
    console.log(
      `seed ${seed}: ok ${(r.ms / 1000).toFixed(1)}s grants ${o?.grants ?? 0} (success ${o?.success ?? 0}, ` +
        `failed ${o?.failed ?? 0}; revoked ${o?.revoked ?? 0}, skipped ${o?.skipped ?? 0}) ` +
        `max lateness ${o?.maxLatenessMs ?? 0}ms :: ${r.commands}`,
    );
    if (o?.slowest) console.log(o.slowest);
  }
} finally {
  await infra.close();
}
const mins = (Date.now() - started) / 60_000;
console.log(
  `\nsoak summary: ${totals.cases} case(s) from seed ${seed0} in ${mins.toFixed(1)} min, ` +
    `${failed ? "FAILED at the last one" : "all passed"}; grants ${totals.grants} (success ${totals.success}, ` +
    `failed ${totals.failed}; revoked ${totals.revoked}, skipped ${totals.skipped}); ` +
    `max revocation lateness ${totals.maxLatenessMs}ms`,
);
process.exit(failed ? 1 : 0);
