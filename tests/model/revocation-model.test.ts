import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { modelEnv, runModelCase } from "./run-model.ts";
import { type SharedInfra, startSharedInfra } from "./system.ts";

// Guarantees 1, 2, 3 and 7 as one model (docs/revocation.md, docs/design.md): random sequences of
// overlapping short grants, pre-existing access, early revokes, kill -9 of workers (also between
// a cloud call and its database write) and of the scheduler, Redis FLUSHALL, throttling storms and
// lost replies, against the real worker and scheduler processes; then the cloud must hold exactly
// the pre-existing access, every row be final and no obligation open.
// Reproduce a case: MODEL_SEED=<seed> MODEL_RUNS=1 bun test tests/model; a failure report also
// prints the MODEL_PATH / MODEL_REPLAY that run only its shrunk sequence. More cases: `bun run soak`.
// MODEL_PREEXISTING_AFTER_GRANTS=1 also seeds access out of band after our grants of it ended: on
// AWS the drift sweep then removes it (an open design question, see the issue 7 report).
const env = modelEnv();

describe("revocation model", () => {
  let infra: SharedInfra;
  beforeAll(async () => {
    infra = await startSharedInfra();
  });
  afterAll(async () => {
    await infra?.close();
  });

  test(
    `${env.runs} random case(s) from seed ${env.seed}: access is never left behind`,
    async () => {
      console.log(
        `revocation model: MODEL_SEED=${env.seed} MODEL_RUNS=${env.runs} MODEL_COMMANDS=${env.maxCommands}`,
      );
      for (let i = 0; i < env.runs; i++) {
        const seed = env.seed + i;
        const r = await runModelCase({
          infra,
          seed,
          maxCommands: env.maxCommands,
          shrinkBudgetMs: env.shrinkBudgetMs,
          logLevel: env.logLevel,
          preExistingAfterGrants: env.preExistingAfterGrants,
          ...(env.path === undefined ? {} : { path: env.path }),
          ...(env.replayPath === undefined ? {} : { replayPath: env.replayPath }),
          log: (line) => console.log(line),
        });
        if (!r.ok) {
          console.error(
            `revocation model FAILED — reproduce with MODEL_SEED=${seed} MODEL_RUNS=1 MODEL_COMMANDS=${env.maxCommands}` +
              `; the shrunk sequence alone: ${r.replay ?? "(no path)"} bun test tests/model\n${r.failure}`,
          );
        } else {
          console.log(
            `seed ${seed}: ok in ${(r.ms / 1000).toFixed(1)}s ${JSON.stringify(r.outcome)} :: ${r.commands}`,
          );
        }
        expect({ seed, ok: r.ok, commands: r.commands }).toEqual({ seed, ok: true, commands: r.commands });
      }
    },
    env.runs * 90_000 + env.shrinkBudgetMs + 60_000,
  );
});
