// Hand-written mutants of the queue's Lua scripts (lib/queue/lua), which Stryker cannot mutate: each
// breaks one promise a script's header makes, the queue's tests are run, and the script is restored.
// The tests load the scripts at import (`with { type: "text" }`), so each run sees the mutant.
// Like Stryker, it works in a sandbox copy (.stryker-tmp/lua), never on the work tree, so a Stryker
// run starting meanwhile cannot copy a mutated script and a killed run leaves nothing behind.
import { cpSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import type { Summary, Survivor } from "./summary.ts";
import { score } from "./summary.ts";

const ROOT = join(import.meta.dir, "../..");
// Fastest first: `--bail` stops at the first failure, so a killed mutant rarely reaches the last.
const TESTS = [
  "lib/queue/queue-ops.test.ts",
  "lib/queue/promote-concurrency.test.ts",
  "lib/scheduler/run-scheduler.test.ts",
  "lib/queue/consumer.test.ts",
  "lib/queue/processes.test.ts",
];

interface LuaMutant {
  script: string;
  /** Text that occurs exactly once in the script, and what it becomes. */
  from: string;
  to: string;
  /** The promise it breaks. */
  breaks: string;
}

const NOT_HELD_GUARD = 'if rcall("LREM", KEYS[1], -1, ARGV[1]) == 0 then\n  return -1\nend';
const NO_GUARD = 'rcall("LREM", KEYS[1], -1, ARGV[1])';

export const LUA_MUTANTS: LuaMutant[] = [
  {
    script: "ack-and-take.lua",
    from: 'held = held + rcall("LREM", KEYS[1], -1, ARGV[i])',
    to: "held = held + 1",
    breaks: "an ack counts only jobs the worker still held",
  },
  {
    script: "ack-and-take.lua",
    from: '"RIGHT", "LEFT"',
    to: '"LEFT", "LEFT"',
    breaks: "the next job is taken from the consuming end (FIFO)",
  },
  {
    script: "dead-letter.lua",
    from: NOT_HELD_GUARD,
    to: NO_GUARD,
    breaks: "nothing is dead-lettered when the worker no longer holds the job",
  },
  {
    script: "deregister-worker.lua",
    from: 'rcall("LLEN", KEYS[2]) > 0',
    to: 'rcall("LLEN", KEYS[2]) > 1',
    breaks: "a worker holding a job stays listed on a clean stop",
  },
  {
    script: "heartbeat.lua",
    from: "args[#args + 1] = now",
    to: "args[#args + 1] = 0",
    breaks: "a heartbeat stamps the Redis clock's now",
  },
  {
    script: "promote-due.lua",
    from: '"-inf", now,',
    to: '"-inf", "+inf",',
    breaks: "only due retries are promoted",
  },
  {
    script: "promote-due.lua",
    from: '  rcall("ZREM", KEYS[1], member)\n',
    to: "",
    breaks: "a promoted member is removed in the same script (moved exactly once)",
  },
  {
    script: "release.lua",
    from: 'rcall("RPUSH", KEYS[2], ARGV[1])',
    to: 'rcall("LPUSH", KEYS[2], ARGV[1])',
    breaks: "a released job goes to the consuming end, next to be taken",
  },
  {
    script: "release.lua",
    from: NOT_HELD_GUARD,
    to: NO_GUARD,
    breaks: "a job the worker no longer holds is not released (no duplicate)",
  },
  {
    script: "requeue-worker.lua",
    from: "  if score then\n    return -2\n  end\n",
    to: "",
    breaks: "an orphan takeover refuses a worker that is listed (alive)",
  },
  {
    script: "requeue-worker.lua",
    from: "tonumber(score) > now - tonumber(ARGV[2])",
    to: "tonumber(score) < now - tonumber(ARGV[2])",
    breaks: "only a worker whose heartbeat is stale is reaped",
  },
  {
    script: "requeue-worker.lua",
    from: "count > maxRecoveries",
    to: "count >= maxRecoveries",
    breaks: "a job is dead-lettered only after more than ARGV[3] recoveries",
  },
  {
    script: "requeue-worker.lua",
    from: 'rcall("RPUSH", KEYS[3], job)',
    to: 'rcall("LPUSH", KEYS[3], job)',
    breaks: "recovered jobs go back to the consuming end, oldest first",
  },
  {
    script: "requeue-worker.lua",
    from: '  rcall("ZREM", KEYS[1], ARGV[1])\n',
    to: "",
    breaks: "a reaped worker is forgotten (reaped once)",
  },
  {
    script: "retry.lua",
    from: NOT_HELD_GUARD,
    to: NO_GUARD,
    breaks: "a retry of a job no longer held writes nothing (no duplicate)",
  },
  {
    script: "retry.lua",
    from: " + tonumber(ARGV[3])",
    to: "",
    breaks: "a retry is due only after its delay",
  },
  {
    script: "route-due.lua",
    from: '"-inf", ARGV[1],',
    to: '"-inf", "+inf",',
    breaks: "only due revocations are routed",
  },
  {
    script: "route-due.lua",
    from: '  rcall("ZREM", KEYS[1], member)\n',
    to: "",
    breaks: "a routed member is removed in the same script (routed exactly once)",
  },
  {
    script: "route-due.lua",
    from: "route[provider] or nil",
    to: "KEYS[3] or nil",
    breaks: "a member naming no known provider goes to the unroutable list",
  },
];

const SANDBOX = join(ROOT, ".stryker-tmp/lua");
// What the queue's tests load: the code, the tests and their helpers, the migrations and configs.
const COPIED = [
  "lib",
  "tests",
  "services",
  "scripts",
  "migrations",
  "package.json",
  "tsconfig.json",
  "bunfig.toml",
];

function makeSandbox(): void {
  rmSync(SANDBOX, { recursive: true, force: true });
  mkdirSync(SANDBOX, { recursive: true });
  for (const p of COPIED) cpSync(join(ROOT, p), join(SANDBOX, p), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(SANDBOX, "node_modules"));
}

async function testsPass(): Promise<boolean> {
  const proc = Bun.spawn(["bun", "test", "--timeout", "60000", "--bail", ...TESTS], {
    cwd: SANDBOX,
    stdout: "ignore",
    stderr: "ignore",
  });
  return (await proc.exited) === 0;
}

export async function runLuaMutants(dir: string): Promise<Summary> {
  const started = Date.now();
  let killed = 0;
  const survivors: Survivor[] = [];
  makeSandbox();
  for (const [i, m] of LUA_MUTANTS.entries()) {
    const file = join(SANDBOX, "lib/queue/lua", m.script);
    const original = await Bun.file(file).text();
    if (original.split(m.from).length !== 2)
      throw new Error(`lua mutant ${i + 1}: text not found once in ${m.script}`);
    try {
      await Bun.write(file, original.replace(m.from, m.to));
      const passed = await testsPass();
      if (passed) {
        const line = original.slice(0, original.indexOf(m.from)).split("\n").length;
        survivors.push({
          file: `lib/queue/lua/${m.script}`,
          line,
          mutator: "hand-written",
          replacement: m.to,
          status: "Survived",
        });
      } else killed++;
      console.log(
        `lua ${i + 1}/${LUA_MUTANTS.length} ${passed ? "SURVIVED" : "killed"}: ${m.script}: ${m.breaks}`,
      );
    } finally {
      await Bun.write(file, original);
    }
  }
  rmSync(SANDBOX, { recursive: true, force: true });
  const counts = { killed, survived: survivors.length, timeout: 0, noCoverage: 0 };
  const s: Summary = {
    module: "queue-lua",
    measured: `${LUA_MUTANTS.length} hand-written mutants`,
    date: new Date().toISOString().slice(0, 16).replace("T", " "),
    minutes: Math.round((Date.now() - started) / 600) / 100,
    ...counts,
    compileError: 0,
    runtimeError: 0,
    ignored: 0,
    score: score(counts),
    survivors,
  };
  await Bun.write(join(dir, "queue-lua.summary.json"), `${JSON.stringify(s, null, 2)}\n`);
  return s;
}
