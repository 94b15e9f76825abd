// One case of the revocation model: fast-check draws a command sequence from `seed`, runs it
// against a fresh system, settles it and checks the invariant; a failing sequence is shrunk (each
// try is a whole new run) within a time budget. The CI test and `bun run soak` both call this.
import fc from "fast-check";
import { waitUntil } from "../helpers/spawn-service.ts";
import { commandArbitraries, emptyModel } from "./commands.ts";
import { type Outcome, settleAndCheck, startMonitor } from "./invariant.ts";
import { type SharedInfra, startSystem } from "./system.ts";

export interface ModelCaseOptions {
  infra: SharedInfra;
  seed: number;
  maxCommands: number;
  /** Time spent shrinking a failure, ms; 0 reports the first failing sequence as it is. */
  shrinkBudgetMs: number;
  /** Let access be seeded out of band after our grants of it ended (see Model.afterOurs). */
  preExistingAfterGrants?: boolean;
  /** LOG_LEVEL of the worker and scheduler processes (their output goes into a failure's report). */
  logLevel?: string;
  /** fast-check's replay path of a counterexample (with its seed): runs just that sequence. */
  path?: string;
  /** The commands' own replay hint printed with the counterexample (`replayPath="..."`). */
  replayPath?: string;
  log: (line: string) => void;
}

export interface CaseResult {
  seed: number;
  ok: boolean;
  /** The commands that ran (the shrunk ones when it failed). */
  commands: string;
  outcome?: Outcome;
  /** fast-check's report (seed, path, counterexample) and the failing run's timeline and logs. */
  failure?: string;
  /** Runs of the system this case took (1 unless it failed and was shrunk). */
  runs: number;
  /** The environment that runs the shrunk failing sequence alone. */
  replay?: string;
  ms: number;
}

/** The settings a model run takes from the environment (CI and local runs alike). */
export function modelEnv(env: Record<string, string | undefined> = process.env) {
  const num = (v: string | undefined, d: number) => (v === undefined || v === "" ? d : Number(v));
  return {
    seed: num(env.MODEL_SEED, Math.floor(Math.random() * 2 ** 31)),
    runs: num(env.MODEL_RUNS, 3),
    maxCommands: num(env.MODEL_COMMANDS, 10),
    shrinkBudgetMs: num(env.MODEL_SHRINK_SECONDS, 180) * 1000,
    path: env.MODEL_PATH || undefined,
    replayPath: env.MODEL_REPLAY || undefined,
    logLevel: env.MODEL_LOG_LEVEL || "warn",
    preExistingAfterGrants: env.MODEL_PREEXISTING_AFTER_GRANTS === "1",
  };
}

export async function runModelCase(opts: ModelCaseOptions): Promise<CaseResult> {
  const started = Date.now();
  let runs = 0;
  let shrinkUntil = Number.POSITIVE_INFINITY;
  let last: { commands: string; report: string } | undefined;
  let passed: { commands: string; outcome: Outcome } | undefined;

  const property = fc.asyncProperty(
    fc.commands(commandArbitraries, {
      maxCommands: opts.maxCommands,
      ...(opts.replayPath === undefined ? {} : { replayPath: opts.replayPath }),
    }),
    async (cmds) => {
      // Once the budget is spent, the remaining shrink candidates count as passing: fast-check then
      // ends with the smallest failing sequence found so far.
      if (last !== undefined && Date.now() > shrinkUntil) return;
      // Replaying one sequence: fast-check goes on to other values when it passes; only it counts.
      if (opts.path !== undefined && runs > 0) return;
      // Short sequences say little about chaos: at least half the maximum (shrinking stops there).
      fc.pre([...cmds].length >= Math.ceil(opts.maxCommands / 2));
      runs++;
      const sys = await startSystem(opts.infra, opts.logLevel);
      const model = emptyModel(opts.preExistingAfterGrants === true);
      const monitor = startMonitor(sys, model);
      try {
        sys.startScheduler();
        sys.startWorker("aws");
        sys.startWorker("azure");
        await waitUntil(
          async () =>
            (await sys.redis.zcard("queue:aws:workers")) > 0 &&
            (await sys.redis.zcard("queue:azure:workers")) > 0,
          "workers up",
          30_000,
        );
        sys.note("system up");
        await fc.asyncModelRun(() => ({ model, real: sys }), cmds);
        const outcome = await settleAndCheck(sys, model, monitor);
        passed = { commands: String(cmds), outcome };
      } catch (err) {
        const report = [
          `commands: ${String(cmds)}`,
          `error: ${err instanceof Error ? err.message : String(err)}`,
          "timeline:",
          ...sys.lines,
          "process output (last lines):",
          sys.tails(15),
        ].join("\n");
        if (last === undefined) shrinkUntil = Date.now() + opts.shrinkBudgetMs;
        last = { commands: String(cmds), report };
        opts.log(`seed ${opts.seed}: run ${runs} FAILED: ${String(cmds)}`);
        throw err;
      } finally {
        await monitor.stop();
        await sys.close();
      }
    },
  );

  try {
    await fc.assert(property, {
      seed: opts.seed,
      numRuns: 1,
      endOnFailure: opts.shrinkBudgetMs <= 0 || opts.path !== undefined,
      ...(opts.path === undefined ? {} : { path: opts.path }),
    });
    return {
      seed: opts.seed,
      ok: true,
      commands: passed?.commands ?? "",
      ...(passed ? { outcome: passed.outcome } : {}),
      runs,
      ms: Date.now() - started,
    };
  } catch (err) {
    const fcReport = err instanceof Error ? err.message : String(err);
    const path = /path: "([^"]*)"/.exec(fcReport)?.[1];
    const replayPath = /replayPath="([^"]*)"/.exec(fcReport)?.[1];
    return {
      seed: opts.seed,
      ok: false,
      ...(path === undefined
        ? {}
        : {
            replay:
              `MODEL_SEED=${opts.seed} MODEL_RUNS=1 MODEL_COMMANDS=${opts.maxCommands} MODEL_PATH=${path}` +
              (replayPath === undefined ? "" : ` MODEL_REPLAY=${replayPath}`),
          }),
      commands: last?.commands ?? "",
      failure: `${fcReport}\n\nlast failing run:\n${last?.report ?? "(none)"}`,
      runs,
      ms: Date.now() - started,
    };
  }
}
