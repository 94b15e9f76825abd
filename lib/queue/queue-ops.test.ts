import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Redis } from "ioredis";
import { createRedis } from "../../lib/redis/connect.ts";
import { captureLog, testJob } from "../../tests/fixtures/queue-support.ts";
import { createTestRedis, type TestRedis } from "../../tests/helpers/redis.ts";
import { canonicalJson } from "../json/canonical-json.ts";
import { ack } from "./ack.ts";
import { backoffDelayMs } from "./backoff.ts";
import { checkRedisPolicy } from "./check-redis-policy.ts";
import { claim } from "./claim.ts";
import { queueScripts, ScriptCode } from "./commands.ts";
import { parseDeadEntry } from "./dead-entry.ts";
import { deadLetter } from "./dead-letter.ts";
import { enqueue } from "./enqueue.ts";
import { deregisterWorker, heartbeat } from "./heartbeat.ts";
import { queueKeys, REVOCATION_DEAD_KEY, REVOCATION_SCHEDULE_KEY } from "./keys.ts";
import { promoteRetries, promoteRevocations } from "./promote.ts";
import { reapDeadWorkers, reapOrphans } from "./reap.ts";
import { redisTimeMs } from "./redis-time.ts";
import { release } from "./release.ts";
import { retryLater } from "./retry-later.ts";
import { revocationJob, scheduleAt, unschedule } from "./schedule.ts";
import { queueStats } from "./stats.ts";

const K = queueKeys("aws");
let t: TestRedis;
let raw: Redis; // no prefix: sees the keys as Redis stores them
let redis: Redis;

beforeAll(async () => {
  t = await createTestRedis();
  redis = t.redis;
  raw = createRedis(t.url);
  await raw.ping().catch(async () => {
    await Bun.sleep(100);
    await raw.ping();
  });
});
afterAll(async () => {
  raw.disconnect();
  await t.cleanup();
});

/** Puts a fake worker's heartbeat `ageMs` in the past (Redis clock). */
async function setHeartbeatAge(workerId: string, ageMs: number): Promise<void> {
  const [s, us] = await redis.time();
  await redis.zadd(K.workers, Number(s) * 1000 + Math.floor(Number(us) / 1000) - ageMs, workerId);
}

describe("key prefix", () => {
  test("ioredis applies the connection's keyPrefix to BLMOVE and to the KEYS of our scripts", async () => {
    const job = testJob();
    await enqueue(redis, job);
    const claimed = await claim(redis, "aws", "w-prefix", 100);
    expect(claimed).toBe(JSON.stringify(job));
    // The job sits in the prefixed processing list; nothing was written without the prefix.
    expect(await raw.lrange(`${t.prefix}${K.processing("w-prefix")}`, 0, -1)).toEqual([claimed!]);
    expect(await raw.exists(K.processing("w-prefix"), K.queue, K.delayed)).toBe(0);
    // A Lua script (retry) moves it between prefixed keys.
    expect((await retryLater(redis, { workerId: "w-prefix", raw: claimed!, job, delayMs: 1000 })).held).toBe(
      true,
    );
    expect(await raw.zcard(`${t.prefix}${K.delayed}`)).toBe(1);
    expect(await raw.exists(`${t.prefix}${K.processing("w-prefix")}`)).toBe(0);
    await redis.del(K.delayed);
  });
});

describe("claim and ack", () => {
  test("claims oldest first into the worker's list; ack needs the exact string claimed", async () => {
    const jobs = [testJob({ n: 1 }), testJob({ n: 2 })];
    for (const j of jobs) await enqueue(redis, j);
    const first = await claim(redis, "aws", "w1", 100);
    expect(first).toBe(JSON.stringify(jobs[0]));
    // The same job re-serialised with another key order is another string: LREM would not match.
    const rewritten = canonicalJson(JSON.parse(first!));
    expect(rewritten).not.toBe(first!);
    expect(await ack(redis, "aws", "w1", rewritten)).toBe(false);
    expect(await ack(redis, "aws", "w1", first!)).toBe(true);
    expect(await redis.llen(K.processing("w1"))).toBe(0);
    expect(await claim(redis, "aws", "w1", 100)).toBe(JSON.stringify(jobs[1]));
    await redis.del(K.processing("w1"));
  });

  test("release: a claimed job goes back to the consuming end, next to be claimed; only once", async () => {
    for (const j of ["r1", "r2"]) await redis.lpush(K.queue, j);
    const taken = await claim(redis, "aws", "w-release", 100);
    expect(taken).toBe("r1");
    expect(await release(redis, "aws", "w-release", taken!)).toBe(true);
    expect(await redis.lrange(K.queue, 0, -1)).toEqual(["r2", "r1"]);
    expect(await redis.llen(K.processing("w-release"))).toBe(0);
    // No longer held (released already, or the reaper took it): nothing is written, no duplicate.
    expect(await release(redis, "aws", "w-release", taken!)).toBe(false);
    expect(await redis.lrange(K.queue, 0, -1)).toEqual(["r2", "r1"]);
    await redis.del(K.queue);
  });

  test("a clean stop forgets a worker only when it holds no job", async () => {
    await heartbeat(redis, "aws", ["w-stop"]);
    await redis.lpush(K.queue, "held");
    await claim(redis, "aws", "w-stop", 100);
    expect(await deregisterWorker(redis, "aws", "w-stop")).toBe(false);
    expect(await redis.zscore(K.workers, "w-stop")).not.toBeNull();
    expect(await ack(redis, "aws", "w-stop", "held")).toBe(true);
    expect(await deregisterWorker(redis, "aws", "w-stop")).toBe(true);
    expect(await redis.zscore(K.workers, "w-stop")).toBeNull();
  });

  test("a claim on an empty queue returns null after its block timeout", async () => {
    expect(await claim(redis, "aws", "w-empty", 100)).toBeNull();
  });
});

describe("retry and dead-letter", () => {
  test("retryLater: processing → delayed in one step, attempt + 1, due after the delay on the Redis clock", async () => {
    const job = testJob();
    await enqueue(redis, job);
    const claimed = (await claim(redis, "aws", "w2", 100))!;
    const before = await redisTimeMs(redis);
    const { held, dueAt } = await retryLater(redis, { workerId: "w2", raw: claimed, job, delayMs: 750 });
    const after = await redisTimeMs(redis);
    expect(held).toBe(true);
    expect(await redis.llen(K.processing("w2"))).toBe(0);
    const [member, score] = await redis.zrange(K.delayed, 0, "-1", "WITHSCORES");
    expect(JSON.parse(member!)).toEqual({ ...job, attempt: 1 });
    expect(Number(score)).toBe(dueAt);
    expect(dueAt).toBeGreaterThanOrEqual(before + 750);
    expect(dueAt).toBeLessThanOrEqual(after + 750);
    // Not held any more (say, the reaper took it): nothing is written, so no duplicate.
    expect((await retryLater(redis, { workerId: "w2", raw: claimed, job, delayMs: 0 })).held).toBe(false);
    expect(await redis.zcard(K.delayed)).toBe(1);
    await redis.del(K.delayed);
  });

  test("backoff grows exponentially, stays within [half, full] of the step, and is capped", () => {
    const opts = { baseMs: 100, maxMs: 1000 };
    expect(backoffDelayMs(0, opts, () => 0)).toBe(50);
    expect(backoffDelayMs(0, opts, () => 1)).toBe(100);
    expect(backoffDelayMs(3, opts, () => 0)).toBe(400);
    expect(backoffDelayMs(10, opts, () => 1)).toBe(1000);
  });

  test("deadLetter: processing → dead with reason, time and the job exactly as claimed", async () => {
    await redis.lpush(K.queue, "not json at all");
    const claimed = (await claim(redis, "aws", "w3", 100))!;
    expect(
      await deadLetter(redis, {
        provider: "aws",
        workerId: "w3",
        raw: claimed,
        reason: "unparsable",
        now: 42,
      }),
    ).toBe(true);
    expect(await redis.llen(K.processing("w3"))).toBe(0);
    const entry = parseDeadEntry((await redis.lindex(K.dead, 0))!);
    expect(entry).toEqual({ job: "not json at all", reason: "unparsable", failed_at: 42, worker_id: "w3" });
    expect(
      await deadLetter(redis, { provider: "aws", workerId: "w3", raw: claimed, reason: "x", now: 1 }),
    ).toBe(false);
    expect(await redis.llen(K.dead)).toBe(1);
    await redis.del(K.dead);
  });
});

describe("schedules", () => {
  const grant = {
    correlation_id: "7b0f9a52-1f6e-4c1c-9d51-0c1b7a0d2a11",
    provider: "azure" as const,
    request: {
      provider: "azure",
      role: { name: "Reader" },
      scope: "/subscriptions/x",
      principal: { id: "p", type: "User" },
    },
    received_at: 1_700_000_000_000,
  };

  test("the revocation of a grant is one member however often, and from whatever key order, it is scheduled", async () => {
    // As read back from PostgreSQL jsonb: same content, keys in another order.
    const fromDb = {
      ...grant,
      request: {
        scope: "/subscriptions/x",
        principal: { type: "User", id: "p" },
        role: { name: "Reader" },
        provider: "azure",
      },
    };
    await scheduleAt(redis, REVOCATION_SCHEDULE_KEY, revocationJob(grant), 5000);
    await scheduleAt(redis, REVOCATION_SCHEDULE_KEY, revocationJob(fromDb), 9000);
    expect(await redis.zrange(REVOCATION_SCHEDULE_KEY, 0, "-1", "WITHSCORES")).toEqual([
      canonicalJson(revocationJob(grant)),
      "9000",
    ]);
    expect(await unschedule(redis, REVOCATION_SCHEDULE_KEY, revocationJob(fromDb))).toBe(true);
    expect(await redis.zcard(REVOCATION_SCHEDULE_KEY)).toBe(0);
    // Already promoted (or never scheduled): nothing to take out.
    expect(await unschedule(redis, REVOCATION_SCHEDULE_KEY, revocationJob(fromDb))).toBe(false);
  });

  test("due revocations go to the queue of their provider; unroutable ones aside; the rest wait", async () => {
    const aws = revocationJob({
      ...grant,
      provider: "aws",
      correlation_id: "11111111-1111-4111-8111-111111111111",
    });
    const azure = revocationJob(grant);
    const later = revocationJob({ ...grant, correlation_id: "22222222-2222-4222-8222-222222222222" });
    await scheduleAt(redis, REVOCATION_SCHEDULE_KEY, aws, 100);
    await scheduleAt(redis, REVOCATION_SCHEDULE_KEY, azure, 200);
    await scheduleAt(redis, REVOCATION_SCHEDULE_KEY, later, 10_000);
    await redis.zadd(REVOCATION_SCHEDULE_KEY, 150, "{broken");
    const moved = await promoteRevocations(redis, ["aws", "azure"], 1000, 100);
    expect(moved).toEqual([
      { job: canonicalJson(aws), provider: "aws" },
      { job: "{broken", provider: null },
      { job: canonicalJson(azure), provider: "azure" },
    ]);
    expect(await redis.lrange(queueKeys("aws").queue, 0, -1)).toEqual([canonicalJson(aws)]);
    expect(await redis.lrange(queueKeys("azure").queue, 0, -1)).toEqual([canonicalJson(azure)]);
    expect(parseDeadEntry((await redis.lindex(REVOCATION_DEAD_KEY, 0))!).job).toBe("{broken");
    expect(await redis.zrange(REVOCATION_SCHEDULE_KEY, 0, "-1")).toEqual([canonicalJson(later)]);
    await redis.del(
      REVOCATION_SCHEDULE_KEY,
      REVOCATION_DEAD_KEY,
      queueKeys("aws").queue,
      queueKeys("azure").queue,
    );
  });

  test("due retries (Redis clock) go to the back of their queue, oldest due first", async () => {
    const now = await redisTimeMs(redis);
    await redis.zadd(K.delayed, now - 30, "a", now - 20, "b", now - 10, "c", now + 60_000, "later");
    expect(await promoteRetries(redis, "aws", 100)).toEqual(["a", "b", "c"]);
    await redis.lpush(K.queue, "new");
    // Consumers take from the right: a, b, c, then the job enqueued after them.
    expect(await redis.lrange(K.queue, 0, -1)).toEqual(["new", "c", "b", "a"]);
    expect(await redis.zrange(K.delayed, 0, "-1")).toEqual(["later"]);
    await redis.del(K.delayed, K.queue);
  });
});

describe("reaper", () => {
  const opts = { heartbeatTimeoutMs: 1000, maxRecoveries: 2 };

  test("returns a dead worker's jobs to the consuming end, oldest first, and forgets the worker; a live one is left alone", async () => {
    for (const j of ["j1", "j2", "j3"]) await redis.lpush(K.queue, j);
    await claim(redis, "aws", "dead", 50); // j1
    await claim(redis, "aws", "dead", 50); // j2
    await claim(redis, "aws", "alive", 50); // j3
    await setHeartbeatAge("dead", 5000);
    await setHeartbeatAge("alive", 0);
    const reaped = await reapDeadWorkers(redis, "aws", opts);
    expect(reaped).toEqual([{ workerId: "dead", requeued: ["j2", "j1"], dead: [] }]);
    // Recovery counts are kept a day by default (poison detection needs them across deaths).
    const ttl = await redis.pttl(K.recoveries);
    expect(ttl).toBeGreaterThan(23 * 3600_000);
    expect(ttl).toBeLessThanOrEqual(24 * 3600_000);
    // j1, claimed first, is at the right end: the next one consumed.
    expect(await redis.lrange(K.queue, 0, -1)).toEqual(["j2", "j1"]);
    expect(await redis.zrange(K.workers, 0, "-1")).toEqual(["alive"]);
    expect(await redis.lrange(K.processing("alive"), 0, -1)).toEqual(["j3"]);
    expect(await reapDeadWorkers(redis, "aws", opts)).toEqual([]);
    await redis.del(K.queue, K.workers, K.processing("alive"), K.recoveries);
  });

  test("a job whose worker keeps dying is dead-lettered after maxRecoveries recoveries", async () => {
    await redis.lpush(K.queue, "poison");
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) {
      await claim(redis, "aws", `victim${i}`, 50);
      await setHeartbeatAge(`victim${i}`, 5000);
      const [w] = await reapDeadWorkers(redis, "aws", opts);
      outcomes.push(w!.requeued.length ? "requeued" : "dead");
    }
    expect(outcomes).toEqual(["requeued", "requeued", "dead"]);
    expect(await redis.llen(K.queue)).toBe(0);
    const entry = parseDeadEntry((await redis.lindex(K.dead, 0))!);
    expect(entry.job).toBe("poison");
    expect(entry.reason).toContain("poison");
    expect(await redis.hlen(K.recoveries)).toBe(0);
    await redis.del(K.dead, K.workers);
  });

  test("an orphaned processing list (worker not listed) is found by the sweep and requeued", async () => {
    await redis.lpush(K.queue, "orphaned");
    await claim(redis, "aws", "ghost", 50);
    await setHeartbeatAge("someone-else", 0);
    const reaped = await reapOrphans(redis, "aws", opts);
    expect(reaped).toEqual([{ workerId: "ghost", requeued: ["orphaned"], dead: [] }]);
    expect(await redis.lrange(K.queue, 0, -1)).toEqual(["orphaned"]);
    await redis.del(K.queue, K.workers, K.recoveries);
  });

  test("the orphan sweep walks every SCAN page, however many other keys Redis holds", async () => {
    // Far more keys than one SCAN page (COUNT 1000) returns; the orphans can be on any page.
    const filler = 20_000;
    for (let i = 0; i < filler; i += 1000) {
      const p = raw.pipeline();
      for (let j = i; j < i + 1000; j++) p.set(`${t.prefix}filler:${j}`, "x");
      await p.exec();
    }
    const ghosts = ["g1", "g2", "g3", "g4", "g5"];
    for (const g of ghosts) await redis.lpush(K.processing(g), `job-${g}`);
    const reaped = await reapOrphans(redis, "aws", opts);
    expect(reaped.map((r) => r.workerId).sort()).toEqual(ghosts);
    for (let i = 0; i < filler; i += 1000) {
      await raw.del(...Array.from({ length: 1000 }, (_, j) => `${t.prefix}filler:${i + j}`));
    }
    await redis.del(K.queue, K.workers, K.recoveries);
  });

  test("the orphan sweep works on a connection without a key prefix", async () => {
    const provider = `p${crypto.randomUUID().slice(0, 8)}`;
    const PK = queueKeys(provider);
    await raw.lpush(PK.processing("ghost"), "unprefixed-job");
    const reaped = await reapOrphans(raw, provider, opts);
    expect(reaped).toEqual([{ workerId: "ghost", requeued: ["unprefixed-job"], dead: [] }]);
    await raw.del(PK.queue, PK.processing("ghost"), PK.recoveries);
  });

  test("the orphan takeover re-checks in the script: a worker listed meanwhile keeps its jobs", async () => {
    // reapOrphans skips listed workers before calling the script; a worker listed between that
    // read and the script (a stalled worker's next heartbeat) is refused by the script itself.
    await redis.lpush(K.queue, "mine");
    await claim(redis, "aws", "back-again", 50);
    await setHeartbeatAge("back-again", 0);
    const reply = await queueScripts(redis).qRequeueWorker(
      K.workers,
      K.processing("back-again"),
      K.queue,
      K.dead,
      K.recoveries,
      "back-again",
      opts.heartbeatTimeoutMs,
      opts.maxRecoveries,
      "orphan",
      60_000,
    );
    expect(reply).toBe(ScriptCode.WorkerAlive);
    expect(await redis.lrange(K.processing("back-again"), 0, -1)).toEqual(["mine"]);
    expect(await redis.llen(K.queue)).toBe(0);
    await redis.del(K.workers, K.processing("back-again"));
  });
});

describe("stats and checks", () => {
  test("queueStats counts queue, live workers' held jobs, delayed, dead and workers", async () => {
    for (const j of ["a", "b", "c", "d"]) await redis.lpush(K.queue, j);
    await heartbeat(redis, "aws", ["p1:0", "p1:1", "p2:0"]);
    await claim(redis, "aws", "p1:0", 50);
    await claim(redis, "aws", "p2:0", 50);
    await claim(redis, "aws", "stale:0", 50);
    await setHeartbeatAge("stale:0", 60_000);
    await redis.zadd(K.delayed, 1, "x");
    await redis.lpush(K.dead, "{}");
    expect(await queueStats(redis, "aws", 10_000)).toEqual({
      depth: 1,
      in_flight: 2,
      delayed: 1,
      dead: 1,
      workers: 3,
      processes: 2,
    });
    await redis.del(
      K.queue,
      K.workers,
      K.delayed,
      K.dead,
      K.processing("p1:0"),
      K.processing("p2:0"),
      K.processing("stale:0"),
    );
  });

  test("checkRedisPolicy is quiet on noeviction and loud on an evicting Redis", async () => {
    const quiet = captureLog();
    expect(await checkRedisPolicy(redis, quiet.log)).toBe("noeviction");
    expect(quiet.lines()).toEqual([]);

    // A throwaway Redis with an evicting policy, on a unix socket (no port to collide on).
    const sock = `/tmp/csb-policy-${process.pid}-${Date.now()}.sock`;
    const server = Bun.spawn(
      [
        "redis-server",
        "--port",
        "0",
        "--unixsocket",
        sock,
        "--save",
        "",
        "--appendonly",
        "no",
        "--maxmemory-policy",
        "allkeys-lru",
      ],
      { stdout: "ignore", stderr: "ignore" },
    );
    const conn = new Redis({ path: sock, lazyConnect: true, maxRetriesPerRequest: 1 });
    conn.on("error", () => {}); // refused until the server is up
    try {
      for (let i = 0; i < 100; i++) {
        if (
          await conn.connect().then(
            () => true,
            () => false,
          )
        )
          break;
        await Bun.sleep(50);
      }
      const loud = captureLog();
      expect(await checkRedisPolicy(conn, loud.log)).toBe("allkeys-lru");
      const [line] = loud.lines();
      expect(line?.level).toBe("error");
      expect(String(line?.msg)).toContain("NOT noeviction");
      expect(line?.maxmemory_policy).toBe("allkeys-lru");
    } finally {
      conn.disconnect();
      server.kill("SIGKILL");
      await server.exited;
    }
  });
});
