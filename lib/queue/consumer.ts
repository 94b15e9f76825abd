import type { Redis } from "ioredis";
import type { Logger } from "../logging/logger.ts";
import { type BackoffOptions, DEFAULT_BACKOFF } from "./backoff.ts";
import { ConsumerSlot } from "./consumer-slot.ts";
import { deregisterWorker, heartbeat } from "./heartbeat.ts";
import type { Job, QueueJob } from "./job.ts";
import type { JobObserver } from "./job-observer.ts";
import { type JobParser, parseJob } from "./parse-job.ts";
import type { JobHandler } from "./process-job.ts";
import { sleep } from "./sleep.ts";
import { waitReady } from "./wait-ready.ts";
import { newProcessId } from "./worker-id.ts";

export interface ConnectOptions {
  /** Connection name (CLIENT LIST). */
  name: string;
  /** Command timeout this connection needs: blocking ones get the block timeout plus a margin. */
  commandTimeoutMs: number;
}

export interface ConsumerOptions<T extends QueueJob = Job> {
  /** The queue: `queue:<provider>` and its keys (lib/queue/keys.ts). */
  provider: string;
  /** Concurrent claims, each with its own blocking connection. */
  concurrency: number;
  /** Makes one connection (keyPrefix and URL are the caller's); called concurrency + 1 times. */
  connect: (opts: ConnectOptions) => Redis;
  handler: JobHandler<T>;
  /** Parser of this queue's jobs; default the provider job (lib/queue/job.ts). */
  parse?: JobParser<T>;
  log: Logger;
  /** Bound of one blocking claim, ms. Default 1000. */
  blockTimeoutMs?: number;
  /** Bound of every non-blocking command, ms. Default 2000. */
  commandTimeoutMs?: number;
  /** Default 1000; the scheduler's heartbeat timeout must be several times this. */
  heartbeatIntervalMs?: number;
  /** Tries per job, the first included. Default 5. */
  maxAttempts?: number;
  backoff?: BackoffOptions;
  clock?: () => number;
  /** Default: host, pid and a random part. */
  processId?: string;
  /** Told how each job was settled (metrics). */
  observer?: JobObserver;
}

export interface StopResult {
  /** Every in-flight job finished and was settled before the deadline. */
  clean: boolean;
  /** Handlers still running at the deadline; their jobs stay held and the reaper returns them. */
  unfinished: number;
}

export interface Consumer {
  readonly workerIds: readonly string[];
  /** Resolves after the first heartbeat (from then on the consumer claims jobs), or on stop. */
  readonly ready: Promise<void>;
  /**
   * Stops claiming at once, lets in-flight jobs finish until `deadlineMs` (then aborts their
   * signal), acks them and closes the connections. Never rejects.
   */
  stop(deadlineMs: number): Promise<StopResult>;
}

/** Starts consuming `queue:<provider>`: heartbeat, N slots, ack / retry / dead-letter. */
export function startConsumer<T extends QueueJob = Job>(opts: ConsumerOptions<T>): Consumer {
  // Without its own parser a consumer takes provider jobs, and then T is Job.
  const parse = opts.parse ?? (parseJob as unknown as JobParser<T>);
  const blockTimeoutMs = opts.blockTimeoutMs ?? 1000;
  const commandTimeoutMs = opts.commandTimeoutMs ?? 2000;
  const heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 1000;
  const processId = opts.processId ?? newProcessId();
  const workerIds = Array.from({ length: opts.concurrency }, (_, i) => `${processId}:${i}`);
  const log = opts.log.child({ provider: opts.provider, process_id: processId });

  const stopping = new AbortController();
  const deadline = new AbortController();
  // Heartbeats go on while in-flight jobs finish after a stop, or the reaper would take them.
  const beatStop = new AbortController();
  const connect = (o: ConnectOptions) => {
    const redis = opts.connect(o);
    // Failures surface through the commands, which log and retry; silence the event's default report.
    redis.on("error", () => {});
    return redis;
  };
  const control = connect({ name: `csb-${opts.provider}-${processId}-control`, commandTimeoutMs });

  let markRegistered = () => {};
  const registered = new Promise<void>((resolve) => {
    markRegistered = resolve;
  });
  // Stryker disable next-line ObjectLiteral,BooleanLiteral: an AbortSignal fires "abort" once
  stopping.signal.addEventListener("abort", () => markRegistered(), { once: true });

  const beat = async () => {
    // Stryker disable next-line BooleanLiteral: `failing` only picks the log line
    let failing = false;
    while (!beatStop.signal.aborted) {
      // No offline queue: a command before the connection is up would only fail.
      // Stryker disable next-line ConditionalExpression,EqualityOperator: timing only: a heartbeat sent before the connection is ready fails and is retried after the interval
      if (control.status !== "ready") await waitReady(control, beatStop.signal);
      // Stryker disable next-line ConditionalExpression: one more heartbeat, still before the deregistration (which waits for this loop)
      if (beatStop.signal.aborted) break;
      try {
        await heartbeat(control, opts.provider, workerIds);
        markRegistered();
        if (failing) log.info("heartbeat back");
        // Stryker disable next-line BooleanLiteral: log only
        failing = false;
        // (Emptying the catch block is an equivalent mutant: it only logs. A disable comment
        // cannot reach that block from here.)
      } catch (err) {
        if (!failing) log.warn({ err }, "heartbeat failed; the reaper will requeue our jobs if this lasts");
        // Stryker disable next-line BooleanLiteral: log only
        failing = true;
      }
      await sleep(heartbeatIntervalMs, beatStop.signal);
    }
  };
  const beating = beat();

  // Non-blocking work of every slot (take, retry, dead-letter, heartbeats) shares `control`; each
  // slot blocks on its own connection only when the queue is empty.
  const slots = workerIds.map(
    (workerId) =>
      new ConsumerSlot<T>({
        redis: control,
        blocking: connect({
          name: `csb-${opts.provider}-${workerId}`,
          // A blocking claim must never time out client-side before Redis answers it.
          commandTimeoutMs: blockTimeoutMs + commandTimeoutMs,
        }),
        provider: opts.provider,
        workerId,
        handler: opts.handler,
        parse,
        log,
        maxAttempts: opts.maxAttempts ?? 5,
        backoff: opts.backoff ?? DEFAULT_BACKOFF,
        clock: opts.clock ?? Date.now,
        signal: deadline.signal,
        blockTimeoutMs,
        stopping: stopping.signal,
        registered,
        observer: opts.observer,
      }),
  );
  control.on("ready", () => {
    for (const s of slots) s.markReconnected();
  });
  const running = slots.map((s) =>
    // Stryker disable next-line ArrowFunction,ObjectLiteral,StringLiteral: run() never rejects (its loop catches everything, and flushAcks without throwOnFailure does not throw)
    s.run().catch((err: unknown) => log.error({ err }, "consumer slot crashed")),
  );

  let stopped: Promise<StopResult> | undefined;
  const stop = (deadlineMs: number) => {
    stopped ??= (async () => {
      stopping.abort();
      await unblockIdleClaims(control, slots);
      const allDone = Promise.all(running).then(() => true);
      const timer = new AbortController();
      const finished = await Promise.race([allDone, sleep(deadlineMs, timer.signal).then(() => false)]);
      timer.abort();
      // Stryker disable next-line ConditionalExpression: aborting the signal after every handler has finished reaches no one
      if (!finished) deadline.abort();
      beatStop.abort();
      await beating;
      // Only exited slots may leave the live set, and only with an empty list: anything still
      // held stays under a heartbeat that now goes stale, so the reaper hands it to another worker.
      let deregistered = 0;
      // Stryker disable next-line MethodExpression: deregister-worker.lua refuses a worker whose list still holds a job
      for (const slot of slots.filter((s) => s.exited)) {
        const id = workerIds[slots.indexOf(slot)]!;
        // Stryker disable next-line ArrowFunction: undefined is as falsy as false
        if (await deregisterWorker(control, opts.provider, id).catch(() => false)) deregistered++;
      }
      const unfinished = slots.filter((s) => s.busy).length;
      await Promise.all(
        [...slots.map((s) => s.connection), control].map((r) => closeConnection(r, finished)),
      );
      const clean = finished && deregistered === slots.length;
      log.info(
        { clean, unfinished },
        clean ? "consumer stopped" : "consumer stopped with jobs left to the reaper",
      );
      return { clean, unfinished };
    })();
    return stopped;
  };

  return { workerIds, ready: registered, stop };
}

/** Idle claims would block until their timeout; CLIENT UNBLOCK ends them now (as a timeout, nothing moved). */
async function unblockIdleClaims<T extends QueueJob>(
  control: Redis,
  slots: readonly ConsumerSlot<T>[],
): Promise<void> {
  // Stryker disable next-line ConditionalExpression: CLIENT UNBLOCK of null fails, and the failure is ignored below
  const ids = slots.map((s) => s.blockedClientId()).filter((id): id is number => id !== null);
  // Stryker disable next-line ArrowFunction: the result is not read
  await Promise.all(ids.map((id) => control.client("UNBLOCK", id).catch(() => 0)));
}

/** Closes a connection and waits until it is really closed (bounded), so nothing outlives the consumer. */
async function closeConnection(redis: Redis, graceful: boolean): Promise<void> {
  // Stryker disable next-line BlockStatement: how long the close is waited for (at most 1 s) is timing; every branch below ends the connection
  const ended = new Promise<void>((resolve) => {
    // Stryker disable next-line ConditionalExpression: as above
    if (redis.status === "end") return resolve();
    // Stryker disable next-line StringLiteral,ArrowFunction,CallExpression: as above
    redis.once("end", () => resolve());
  });
  // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator,ArrowFunction: QUIT or disconnect, the connection ends either way (the tests' leak guard checks)
  if (graceful && redis.status === "ready") await redis.quit().catch(() => redis.disconnect());
  else redis.disconnect();
  await Promise.race([ended, sleep(1000)]);
}
