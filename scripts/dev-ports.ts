// How `bun run dev` (scripts/dev.ts) chooses the ports of one stack. Every port is the one its
// setting names (0: any free one), else the usual one when free, else any free one — and never one
// another running stack has chosen. A stack binds its ports seconds after choosing them (after the
// migrations and the simulator), so "free" alone is not enough: two stacks started together would
// both take 8081. Each stack therefore writes the ports it chose to <claims>/<pid>.json, under a
// lock file, and skips the ports of every claim whose process is still alive.
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";

export interface PortRequest {
  /** The environment variable that names the port (PORT, UI_PORT, …). */
  setting: string;
  /** The port it gets when the setting is absent and the port is free. */
  usual: number;
}

/** Free to bind on every interface (what the services do)? */
export function portFree(port: number): boolean {
  try {
    Bun.listen({ hostname: "0.0.0.0", port, socket: { data() {} } }).stop(true);
    return true;
  } catch {
    return false;
  }
}

export function anyFreePort(): number {
  const s = Bun.listen({ hostname: "0.0.0.0", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
  }
}

/** Ports chosen by stacks whose process still runs (claims of ended ones are removed). */
function claimedByOthers(dir: string): Set<number> {
  const out = new Set<number>();
  for (const name of readdirSync(dir)) {
    const m = /^(\d+)\.json$/.exec(name);
    if (!m || Number(m[1]) === process.pid) continue;
    const file = join(dir, name);
    if (!alive(Number(m[1]))) {
      rmSync(file, { force: true });
      continue;
    }
    try {
      const claim = JSON.parse(readFileSync(file, "utf8")) as { ports?: unknown };
      if (Array.isArray(claim.ports)) for (const p of claim.ports) if (typeof p === "number") out.add(p);
    } catch {
      // being written by its owner: it holds the lock, so not now; ignore a torn file otherwise
    }
  }
  return out;
}

const LOCK_STALE_MS = 30_000;
const LOCK_WAIT_MS = 15_000;

async function withLock<T>(dir: string, fn: () => T): Promise<T> {
  const lock = join(dir, ".lock");
  const until = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(lock, "wx"));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      // A holder that died mid-choice leaves its lock behind; choosing takes milliseconds.
      try {
        if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) rmSync(lock, { force: true });
      } catch {
        // removed meanwhile
      }
      if (Date.now() > until) throw new Error(`could not take ${lock} within ${LOCK_WAIT_MS / 1000} s`);
      await Bun.sleep(20);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/**
 * Chooses every port of `requests` and claims them under `claimsDir` until `release()` (or until
 * this process ends). Throws naming a setting that is not a port.
 */
export async function choosePorts<K extends string>(
  requests: Record<K, PortRequest>,
  env: Record<string, string | undefined>,
  claimsDir: string,
): Promise<{ ports: Record<K, number>; release: () => void }> {
  mkdirSync(claimsDir, { recursive: true });
  const claim = join(claimsDir, `${process.pid}.json`);
  const ports = await withLock(claimsDir, () => {
    const others = claimedByOthers(claimsDir);
    const taken = new Set<number>();
    const usable = (p: number) => !taken.has(p) && !others.has(p);
    const chosen = {} as Record<K, number>;
    for (const [key, { setting, usual }] of Object.entries(requests) as [K, PortRequest][]) {
      const given = env[setting];
      let port: number;
      if (given !== undefined && given !== "" && given !== "0") {
        // Named: used as is (a clash then shows as that service failing to bind, by name).
        port = Number(given);
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          throw new Error(`${setting}: not a port: ${given}`);
        }
        while (taken.has(port)) port = anyFreePort();
      } else {
        port = given !== "0" && usable(usual) && portFree(usual) ? usual : anyFreePort();
        while (!usable(port)) port = anyFreePort();
      }
      taken.add(port);
      chosen[key] = port;
    }
    writeFileSync(claim, JSON.stringify({ pid: process.pid, ports: Object.values(chosen) }));
    return chosen;
  });
  return { ports, release: () => rmSync(claim, { force: true }) };
}
