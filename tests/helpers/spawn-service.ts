import type { Subprocess } from "bun";

export interface Service {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number>;
}

/** Runs `bun <entry>` as a real child process with the given env; collects its output. */
export function spawnService(entry: string, env: Record<string, string>): Service {
  // Mutation testing (scripts/mutate) picks the live mutant by this variable; a service started by a
  // test must see the same one, or its mutants would never run in the child.
  const mutant = process.env.__STRYKER_ACTIVE_MUTANT__;
  const proc = Bun.spawn(["bun", entry], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/root",
      ...(mutant === undefined ? {} : { __STRYKER_ACTIVE_MUTANT__: mutant }),
      ...env,
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let out = "";
  const pump = async (s: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of s) out += dec.decode(chunk);
  };
  void pump(proc.stdout);
  void pump(proc.stderr);
  return {
    proc,
    output: () => out,
    async stop(signal = "SIGTERM") {
      proc.kill(signal);
      return await proc.exited;
    },
  };
}

export async function waitUntil(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await Bun.sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}
