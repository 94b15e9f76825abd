// `bun run bench queue`: no-op jobs through our queue and through BullMQ on this machine's Redis,
// at several consumer concurrencies, next to redis-benchmark LPUSH / RPOPLPUSH as the physical
// ceiling, all in the bench namespace's Redis database (never db 0). Prints its table; with
// --write-docs it also replaces the "## Queue" section of docs/benchmarks.md.
import { randomBytes, randomUUID } from "node:crypto";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { Queue, Worker } from "bullmq";
import { z } from "zod";
import { parseEnv } from "../lib/config/env.ts";
import { createLogger } from "../lib/logging/logger.ts";
import { startConsumer } from "../lib/queue/consumer.ts";
import { enqueue } from "../lib/queue/enqueue.ts";
import { newJob } from "../lib/queue/job.ts";
import { queueKeys } from "../lib/queue/keys.ts";
import { createRedis, type Redis } from "../lib/redis/connect.ts";
import { writeDocsSection } from "./docs-section.ts";
import { BENCH_REDIS, redisDbOf } from "./namespace.ts";

const benchEnv = {
  BENCH_REDIS_URL: z.string().default(BENCH_REDIS),
  BENCH_QUEUE_JOBS: z.coerce.number().int().min(100).default(20_000),
  /** Paired rounds per concurrency (ours and BullMQ alternate in each); medians are reported. */
  BENCH_QUEUE_ROUNDS: z.coerce.number().int().min(1).max(9).default(3),
  BENCH_QUEUE_CONCURRENCY: z
    .string()
    .default("1,10,50")
    .transform((s) => s.split(",").map(Number)),
};

const COMMAND = "bun run bench queue --write-docs";
const ENQUEUE_WINDOW = 1000; // adds in flight at once, for both queues

// The same payload through both queues: a realistic AWS grant request.
const request = {
  provider: "aws",
  action: "grant",
  principal: { type: "user", name: "alice" },
  permission: { type: "managed_policy", policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
  duration: "PT2H",
  requested_by: "hr-system",
  ticket: "CHG-12345",
  justification: "quarterly audit",
};

interface Rates {
  enqueue: number;
  process: number;
}

export async function runQueueBench(argv: readonly string[] = process.argv.slice(3)): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: { "write-docs": { type: "boolean", default: false } },
  });
  const cfg = parseEnv(benchEnv, process.env);
  const url = new URL(cfg.BENCH_REDIS_URL);
  const db = redisDbOf(cfg.BENCH_REDIS_URL);
  if (db === 0) throw new Error("bench queue: BENCH_REDIS_URL must name a database other than 0");
  const admin = createRedis(cfg.BENCH_REDIS_URL, { name: "bench-admin" });
  await ready(admin);
  const machine = await describeMachine(admin);
  console.log(machine.join("\n"));

  const rows: string[] = [];
  for (const concurrency of cfg.BENCH_QUEUE_CONCURRENCY) {
    const ours: Rates[] = [];
    const bull: Rates[] = [];
    // Alternating order each round, so drifting noise from other work on the machine hits both.
    for (let round = 0; round < cfg.BENCH_QUEUE_ROUNDS; round++) {
      const runOurs = async () =>
        ours.push(await benchOurs(cfg.BENCH_REDIS_URL, cfg.BENCH_QUEUE_JOBS, concurrency));
      const runBull = async () => bull.push(await benchBullmq(url, db, cfg.BENCH_QUEUE_JOBS, concurrency));
      if (round % 2 === 0) {
        await runOurs();
        await runBull();
      } else {
        await runBull();
        await runOurs();
      }
    }
    const ceiling = await redisBenchmark(url, db, admin, cfg.BENCH_QUEUE_JOBS, concurrency);
    const ratio = (k: keyof Rates) => {
      const r = ours.map((o, i) => o[k] / bull[i]![k]).sort((x, y) => x - y);
      return `${median(r).toFixed(2)}× (${r[0]!.toFixed(2)}–${r.at(-1)!.toFixed(2)})`;
    };
    const row = [
      concurrency,
      fmt(median(ours.map((o) => o.enqueue))),
      fmt(median(bull.map((b) => b.enqueue))),
      ratio("enqueue"),
      fmt(median(ours.map((o) => o.process))),
      fmt(median(bull.map((b) => b.process))),
      `**${ratio("process")}**`,
      fmt(ceiling.lpush),
      fmt(ceiling.rpoplpush),
    ].join(" | ");
    rows.push(`| ${row} |`);
    console.log(rows.at(-1));
  }
  admin.disconnect();

  const section = [
    `Command: \`${COMMAND}\`. ${cfg.BENCH_QUEUE_JOBS} no-op jobs per run, ${cfg.BENCH_QUEUE_ROUNDS} paired rounds per`,
    "concurrency (ours and BullMQ alternating); rates are medians, ratios the median of the per-round",
    `ratios (min–max in brackets). Enqueue keeps ${ENQUEUE_WINDOW} adds in flight; the process rate counts`,
    "jobs from the first to the last handler call, so start-up is left out for both.",
    "",
    ...machine.map((l) => `- ${l}`),
    "",
    "| consumer concurrency | ours enqueue/s | BullMQ enqueue/s | enqueue ours/BullMQ | ours process/s | BullMQ process/s | process ours/BullMQ | redis-benchmark LPUSH/s | redis-benchmark RPOPLPUSH/s |",
    "|---|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
    "Each of our runs then checks the guarantees held: every job acked, nothing left in the queue, the",
    "processing lists or the dead list. Ours keeps every guarantee of the design (per-worker processing",
    "lists, heartbeats and reaping, atomic retry / dead-letter); BullMQ runs with its defaults and",
    "removeOnComplete.",
    "",
    "Why ours is faster: per job, a consumer slot sends one small script (LREM the last job, LMOVE the",
    "next) on a connection shared by all the slots of the process, so replies come back batched, and",
    "blocks with BLMOVE on its own connection only when the queue is empty. BullMQ's moveToFinished /",
    "moveToActive scripts also write a job hash, an events stream, a lock and several sets per job, on",
    "the same two cores. At concurrency 1 both are bound by one round trip per job (socket writes are",
    "about half of our consumer's CPU profile on this VM), so the margin is smallest there: around the",
    "1.5× goal, with single rounds below it. Only prefetching (holding a second job while one runs)",
    "would lift it, at the cost of jobs waiting behind a busy worker; we chose not to.",
    "redis-benchmark (same job-sized value, -c = the consumer concurrency, no pipelining) measures one",
    "bare command with no client work: RPOPLPUSH is the ceiling for one move.",
    "The machine's two cores are shared with other work, so rates vary by ±30% between runs.",
  ];
  if (values["write-docs"]) await writeDocsSection("Queue", section);
}

async function benchOurs(redisUrl: string, jobs: number, concurrency: number): Promise<Rates> {
  const prefix = `bench-${randomBytes(4).toString("hex")}:`;
  const producer = createRedis(redisUrl, { keyPrefix: prefix, name: "bench-producer" });
  await ready(producer);
  try {
    const batch = Array.from({ length: jobs }, () =>
      newJob({ correlation_id: randomUUID(), provider: "aws", kind: "grant", request }, Date.now()),
    );
    const enqueueStart = performance.now();
    await windowed(batch, (job) => enqueue(producer, job));
    const enqueueRate = jobs / ((performance.now() - enqueueStart) / 1000);

    let handled = 0;
    let first = 0;
    let last = 0;
    let allDone = () => {};
    const done = new Promise<void>((resolve) => {
      allDone = resolve;
    });
    const consumer = startConsumer({
      provider: "aws",
      concurrency,
      log: createLogger({ service: "bench", level: "warn" }),
      connect: ({ name, commandTimeoutMs }) =>
        createRedis(redisUrl, { keyPrefix: prefix, name, commandTimeoutMs }),
      async handler() {
        const now = performance.now();
        if (handled === 0) first = now;
        last = now;
        if (++handled === jobs) allDone();
      },
    });
    await done;
    const stopped = await consumer.stop(5000);
    // The guarantees held under load: every job acked, none left anywhere.
    const keys = queueKeys("aws");
    const left = await producer.llen(keys.queue);
    const held = await Promise.all(consumer.workerIds.map((w) => producer.llen(keys.processing(w))));
    const dead = await producer.llen(keys.dead);
    if (!stopped.clean || left || dead || held.some((n) => n > 0)) {
      throw new Error(`our queue left work behind: queue ${left}, dead ${dead}, held ${held.join(",")}`);
    }
    return { enqueue: enqueueRate, process: (jobs - 1) / ((last - first) / 1000) };
  } finally {
    await deletePrefix(producer, prefix);
    producer.disconnect();
  }
}

async function benchBullmq(url: URL, db: number, jobs: number, concurrency: number): Promise<Rates> {
  const connection = {
    host: url.hostname,
    port: Number(url.port || 6379),
    db,
    maxRetriesPerRequest: null,
  };
  const name = `bench-${randomBytes(4).toString("hex")}`;
  const queue = new Queue(name, {
    connection,
    defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
  });
  await queue.waitUntilReady();
  try {
    const enqueueStart = performance.now();
    await windowed(
      Array.from({ length: jobs }, () => ({ correlation_id: randomUUID(), request })),
      (data) => queue.add("grant", data),
    );
    const enqueueRate = jobs / ((performance.now() - enqueueStart) / 1000);

    let handled = 0;
    let first = 0;
    let last = 0;
    let allDone = () => {};
    const done = new Promise<void>((resolve) => {
      allDone = resolve;
    });
    const worker = new Worker(
      name,
      async () => {
        const now = performance.now();
        if (handled === 0) first = now;
        last = now;
        if (++handled === jobs) allDone();
      },
      { connection, concurrency },
    );
    worker.on("error", (err) => console.error("bullmq worker error:", err.message));
    await done;
    await worker.close();
    return { enqueue: enqueueRate, process: (jobs - 1) / ((last - first) / 1000) };
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

/** redis-benchmark LPUSH then RPOPLPUSH of a job-sized value on random keys: what one Redis can move. */
async function redisBenchmark(url: URL, db: number, admin: Redis, jobs: number, concurrency: number) {
  const key = `bench-${randomBytes(4).toString("hex")}:rb`;
  const value = JSON.stringify(
    newJob({ correlation_id: randomUUID(), provider: "aws", kind: "grant", request }, 0),
  );
  const run = async (...cmd: string[]) => {
    const args = [
      "-h",
      url.hostname,
      "-p",
      url.port || "6379",
      "--dbnum",
      String(db),
      "-n",
      String(jobs),
      "-c",
      String(concurrency),
    ];
    const proc = Bun.spawn(["redis-benchmark", ...args, "--csv", ...cmd], { stdout: "pipe", stderr: "pipe" });
    const out = await new Response(proc.stdout).text();
    await proc.exited;
    // The test name (the command line) may hold quotes: read rps as the 7th field from the end.
    const line = out.trim().split("\n").at(-1) ?? "";
    const rps = Number(/"([\d.]+)"(?:,"[\d.]+"){6}$/.exec(line)?.[1]);
    if (!Number.isFinite(rps)) throw new Error(`could not read redis-benchmark output: ${out}`);
    return rps;
  };
  try {
    const lpush = await run("lpush", key, value);
    const rpoplpush = await run("rpoplpush", key, `${key}:processing`);
    return { lpush, rpoplpush };
  } finally {
    await admin.del(key, `${key}:processing`);
  }
}

/** Runs `fn` over `items` with at most ENQUEUE_WINDOW calls in flight. */
async function windowed<T>(items: T[], fn: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += ENQUEUE_WINDOW) {
    await Promise.all(items.slice(i, i + ENQUEUE_WINDOW).map(fn));
  }
}

async function describeMachine(redis: Redis): Promise<string[]> {
  const cpuinfo = await Bun.file("/proc/cpuinfo")
    .text()
    .catch(() => "");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? "unknown";
  const nproc = (await new Response(Bun.spawn(["nproc"], { stdout: "pipe" }).stdout).text()).trim();
  const redisVersion = /^redis_version:(\S+)/m.exec(await redis.info("server"))?.[1] ?? "unknown";
  const version = async (pkg: string) =>
    (
      (await Bun.file(new URL(`../node_modules/${pkg}/package.json`, import.meta.url).pathname).json()) as {
        version: string;
      }
    ).version;
  return [
    `Machine: ${nproc} CPUs (nproc), ${model}`,
    `Redis ${redisVersion} (same host, TCP loopback), Bun ${Bun.version}, ioredis ${await version("ioredis")}, BullMQ ${await version("bullmq")}`,
    `Date: ${new Date().toISOString().slice(0, 10)}`,
  ];
}

async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys.map((k) => k.slice(prefix.length)));
}

function ready(redis: Redis): Promise<void> {
  return new Promise((resolve, reject) => {
    if (redis.status === "ready") return resolve();
    redis.once("ready", () => resolve());
    redis.once("error", reject);
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}
