import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A free TCP port on loopback (bind to 0, read it, release it). */
export function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

async function run(cmd: string[], opts: { asPostgres?: boolean } = {}): Promise<void> {
  const argv =
    opts.asPostgres && process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", ...cmd] : cmd;
  const p = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe" });
  const code = await p.exited;
  if (code !== 0) {
    throw new Error(`${cmd[0]} exited ${code}: ${await new Response(p.stderr).text()}`);
  }
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await Bun.sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A private redis-server on an ephemeral port that tests may stop, start and wipe. */
export interface ThrowawayRedis {
  port: number;
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function throwawayRedis(): ThrowawayRedis {
  const port = freePort();
  let proc: ReturnType<typeof Bun.spawn> | undefined;
  const ping = async () => {
    const c = Bun.spawn(["redis-cli", "-p", String(port), "ping"], { stdout: "pipe", stderr: "ignore" });
    return (await new Response(c.stdout).text()).trim() === "PONG";
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      proc = Bun.spawn(
        [
          "redis-server",
          "--port",
          String(port),
          "--bind",
          "127.0.0.1",
          "--save",
          "",
          "--appendonly",
          "no",
          "--maxmemory-policy",
          "noeviction",
        ],
        { stdout: "ignore", stderr: "ignore" },
      );
      await waitFor(ping, `redis on ${port}`);
    },
    async stop() {
      proc?.kill("SIGKILL");
      await proc?.exited;
      proc = undefined;
    },
  };
}

/** A private PostgreSQL cluster (initdb + pg_ctl) on an ephemeral port, for outage tests. */
export interface ThrowawayPostgres {
  port: number;
  url(db?: string): string;
  start(): Promise<void>;
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

export async function throwawayPostgres(): Promise<ThrowawayPostgres> {
  const port = freePort();
  const dir = mkdtempSync(join(tmpdir(), "csb-pg-"));
  const data = join(dir, "data");
  if (process.getuid?.() === 0) await run(["chown", "postgres", dir]);
  await run(["initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"], {
    asPostgres: true,
  });
  const isReady = async () => {
    const c = Bun.spawn(["pg_isready", "-h", "127.0.0.1", "-p", String(port)], {
      stdout: "ignore",
      stderr: "ignore",
    });
    return (await c.exited) === 0;
  };
  const pgCtl = (...args: string[]) => run(["pg_ctl", "-D", data, ...args], { asPostgres: true });
  return {
    port,
    url: (db = "postgres") => `postgres://postgres@127.0.0.1:${port}/${db}`,
    async start() {
      await pgCtl(
        "-o",
        `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=off`,
        "-l",
        join(dir, "log"),
        "-w",
        "start",
      );
      await waitFor(isReady, `postgres on ${port}`);
    },
    async stop() {
      await pgCtl("-m", "immediate", "-w", "stop");
    },
    async destroy() {
      await pgCtl("-m", "immediate", "-w", "stop").catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
