import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, parseEnv, redisEnv } from "../../lib/config/env.ts";
import { enqueue } from "../../lib/queue/enqueue.ts";
import { newJob } from "../../lib/queue/job.ts";
import { queueKeys } from "../../lib/queue/keys.ts";
import { createRedis, type Redis, redisTarget } from "../../lib/redis/connect.ts";
import { waitUntil } from "../helpers/spawn-service.ts";
import { freePort } from "../helpers/throwaway.ts";

setDefaultTimeout(60_000);

// A highly available Redis through Sentinel (REDIS_SENTINELS): a throwaway primary, a replica and
// one sentinel (redis-server --sentinel) on ephemeral ports. The services' own connection finds
// the primary through the sentinel, and follows a failover to the replica.
describe("Redis Sentinel", () => {
  const dir = mkdtempSync(join(tmpdir(), "csb-sentinel-"));
  const ports = { primary: freePort(), replica: freePort(), sentinel: freePort() };
  const procs: ReturnType<typeof Bun.spawn>[] = [];
  let redis: Redis | undefined;
  let sentinel: Redis | undefined;

  const server = (port: number, extra: string[] = []) => {
    const p = Bun.spawn(
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
        "--dir",
        dir,
        ...extra,
      ],
      { stdout: "ignore", stderr: "ignore" },
    );
    procs.push(p);
  };

  beforeAll(async () => {
    server(ports.primary, ["--maxmemory-policy", "noeviction"]);
    server(ports.replica, [
      "--maxmemory-policy",
      "noeviction",
      "--replicaof",
      "127.0.0.1",
      String(ports.primary),
    ]);
    const conf = join(dir, "sentinel.conf");
    writeFileSync(
      conf,
      [
        `port ${ports.sentinel}`,
        "bind 127.0.0.1",
        `dir ${dir}`,
        `sentinel monitor csbprimary 127.0.0.1 ${ports.primary} 1`,
        "sentinel down-after-milliseconds csbprimary 2000",
        "sentinel failover-timeout csbprimary 10000",
        "",
      ].join("\n"),
    );
    procs.push(Bun.spawn(["redis-server", conf, "--sentinel"], { stdout: "ignore", stderr: "ignore" }));
    sentinel = createRedis(`redis://127.0.0.1:${ports.sentinel}`);
    sentinel.on("error", () => {}); // refused until it has started: the wait below retries
    await waitUntil(async () => (await sentinel?.ping()) === "PONG", "the sentinel");
  });
  afterAll(async () => {
    redis?.disconnect();
    sentinel?.disconnect();
    for (const p of procs) p.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.exited));
    rmSync(dir, { recursive: true, force: true });
  });

  const settings = () =>
    parseEnv(redisEnv, {
      REDIS_URL: "redis://host-is-ignored-with-sentinels:1",
      REDIS_SENTINELS: `127.0.0.1:${ports.sentinel}`,
      REDIS_SENTINEL_NAME: "csbprimary",
      REDIS_KEY_PREFIX: "sentinel-test:",
    });
  const servingPort = async (r: Redis) => Number(/tcp_port:(\d+)/.exec(await r.info("server"))?.[1]);

  test("settings: REDIS_SENTINELS is a host:port list; a bad one names the variable", () => {
    expect(settings().REDIS_SENTINELS).toEqual([{ host: "127.0.0.1", port: ports.sentinel }]);
    expect(parseEnv(redisEnv, { REDIS_SENTINELS: "a:1, [::1]:26379" }).REDIS_SENTINELS).toEqual([
      { host: "a", port: 1 },
      { host: "::1", port: 26379 },
    ]);
    expect(() => parseEnv(redisEnv, { REDIS_SENTINELS: "just-a-host" })).toThrow(ConfigError);
    expect(() => parseEnv(redisEnv, { REDIS_SENTINELS: "h:99999" })).toThrow(/REDIS_SENTINELS/);
  });

  test("the services' connection reaches the primary through the sentinel, and the queue works there", async () => {
    redis = createRedis(redisTarget(settings()), { keyPrefix: "sentinel-test:", commandTimeoutMs: 1000 });
    redis.on("error", () => {}); // during the failover below; the commands report what matters
    await waitUntil(async () => (await redis?.ping()) === "PONG", "a connection through the sentinel");
    expect(await servingPort(redis)).toBe(ports.primary);
    const job = newJob(
      { correlation_id: crypto.randomUUID(), provider: "aws", kind: "grant", request: {} },
      Date.now(),
    );
    await enqueue(redis, job);
    expect(await redis.llen(queueKeys("aws").queue)).toBe(1);
  });

  test("a failover: the connection follows the sentinel to the new primary, the queue intact", async () => {
    const r = redis;
    const s = sentinel;
    if (!r || !s) throw new Error("previous test did not connect");
    // The replica must be in sync and known to the sentinel before it can be promoted.
    const replica = createRedis(`redis://127.0.0.1:${ports.replica}`);
    replica.on("error", () => {});
    try {
      await waitUntil(
        async () => /master_link_status:up/.test(await replica.info("replication")),
        "replica in sync",
        20_000,
      );
      // Known, and its own INFO seen with the link up: before that the sentinel will not promote it.
      await waitUntil(
        async () => {
          const known = (await s.call("SENTINEL", "REPLICAS", "csbprimary")) as string[][];
          return known.some((flat) => {
            const info = new Map<string, string>();
            for (let i = 0; i + 1 < flat.length; i += 2) info.set(String(flat[i]), String(flat[i + 1]));
            return info.get("flags") === "slave" && info.get("master-link-status") === "ok";
          });
        },
        "the sentinel to see the replica in sync",
        30_000,
      );
      await waitUntil(
        async () => (await replica.llen("sentinel-test:queue:aws")) === 1,
        "the job replicated",
      );
    } finally {
      replica.disconnect();
    }
    // NOGOODSLAVE while the sentinel's view of the replica is still settling: ask again.
    await waitUntil(
      async () => {
        try {
          await s.call("SENTINEL", "FAILOVER", "csbprimary");
          return true;
        } catch (err) {
          if (String(err).includes("NOGOODSLAVE")) return false;
          throw err;
        }
      },
      "the sentinel to accept the failover",
      20_000,
    );
    await waitUntil(
      async () => {
        const addr = (await s.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "csbprimary")) as string[];
        return Number(addr[1]) === ports.replica;
      },
      "the sentinel to promote the replica",
      20_000,
    );
    // The connection follows: a write to the demoted primary gets READONLY, which makes the
    // connection ask the sentinel again. A write that reached the old primary while it was being
    // demoted may be lost with its data (replication is asynchronous), so the probe is not checked.
    await waitUntil(
      async () => {
        await r.set("failover-probe", "1").catch(() => {});
        return (await servingPort(r)) === ports.replica;
      },
      "the connection on the new primary",
      20_000,
    );
    // On the new primary: the queue replicated before the failover is there, and writes stay.
    await r.set("after-failover", "1");
    expect(await servingPort(r)).toBe(ports.replica);
    expect(await r.llen(queueKeys("aws").queue)).toBe(1);
    expect(await r.get("after-failover")).toBe("1");
  });
});
