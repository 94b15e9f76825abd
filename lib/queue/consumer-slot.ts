import type { Redis } from "ioredis";
import type { Logger } from "../logging/logger.ts";
import { ack } from "./ack.ts";
import { claim } from "./claim.ts";
import type { Job, QueueJob } from "./job.ts";
import { queueKeys } from "./keys.ts";
import { type ProcessJobDeps, processJob } from "./process-job.ts";
import { release } from "./release.ts";
import { sleep } from "./sleep.ts";
import { takeNext } from "./take-next.ts";
import { waitReady } from "./wait-ready.ts";

export interface SlotDeps<T extends QueueJob = Job> extends ProcessJobDeps<T> {
  /** `redis` (from ProcessJobDeps) is the process's shared connection; this one only blocks. */
  blocking: Redis;
  blockTimeoutMs: number;
  /** Aborts when the consumer starts stopping. */
  stopping: AbortSignal;
  /** Resolves once the worker ids are listed in `queue:<p>:workers` (or the consumer stops). */
  registered: Promise<void>;
  log: Logger;
}

/**
 * One concurrent claim of a consumer: a worker id with its own processing list.
 *
 * While the queue has work, the slot acks its last job and takes the next in one script on the
 * process's shared connection (one round trip per job, replies batched across slots); only when
 * the queue is empty does it block, with BLMOVE on its own connection. Owning its list alone is
 * what lets it find, after a dropped connection, a job the server moved but whose reply was
 * lost: anything in the list it is not handling.
 */
export class ConsumerSlot<T extends QueueJob = Job> {
  /** Handled jobs not acked yet: each ack travels with the next take. */
  private pendingAcks: string[] = [];
  // Stryker disable next-line BooleanLiteral: the blocking connection is created just before this slot, and its first "ready" sets it anyway
  private needsRecovery = true;
  // Stryker disable next-line BooleanLiteral: CLIENT UNBLOCK of a connection that is not blocked does nothing
  private blocked = false;
  private clientId: number | null = null;
  /** True while a handler runs. */
  busy = false;
  /** True once the loop has returned. */
  // Stryker disable next-line BooleanLiteral: only the deregistration reads it, and deregister-worker.lua refuses a worker whose list still holds a job
  exited = false;

  constructor(private readonly deps: SlotDeps<T>) {
    const conn = deps.blocking;
    conn.on("ready", () => {
      this.markReconnected();
      this.clientId = null;
      conn.client("ID").then(
        (id) => {
          this.clientId = Number(id);
        },
        () => {},
      );
    });
  }

  get connection(): Redis {
    return this.deps.blocking;
  }

  /**
   * After any (re)connect: ioredis silently resends a command that was in flight, so a lost
   * reply never surfaces as an error; look at our own list before taking again.
   */
  markReconnected(): void {
    this.needsRecovery = true;
  }

  /** Connection id, while blocked in a claim, so a stop can CLIENT UNBLOCK it. */
  blockedClientId(): number | null {
    return this.blocked ? this.clientId : null;
  }

  async run(): Promise<void> {
    const { deps } = this;
    await deps.registered;
    await waitReady(deps.blocking, deps.stopping);
    let failures = 0;
    while (!deps.stopping.aborted) {
      try {
        // Stryker disable next-line ConditionalExpression: recovering every round only costs an LRANGE: acks go first, so the list then holds only jobs nobody is handling
        if (this.needsRecovery) {
          this.needsRecovery = false;
          await this.recover();
        }
        let raw = await this.take();
        if (raw === null && !deps.stopping.aborted) raw = await this.block();
        if (failures > 0)
          deps.log.info({ worker_id: deps.workerId }, "queue connection back; consuming again");
        failures = 0;
        if (raw === null) continue;
        if (deps.stopping.aborted) {
          // Claimed as the stop began: hand it back untouched instead of starting it.
          await release(deps.redis, deps.provider, deps.workerId, raw);
          break;
        }
        await this.handle(raw, true);
      } catch (err) {
        this.needsRecovery = true;
        failures++;
        if (failures === 1)
          deps.log.warn({ err, worker_id: deps.workerId }, "queue command failed; retrying");
        // Stryker disable next-line BlockStatement: timing only: without the wait the next command fails at once and the loop sleeps and retries
        for (const conn of [deps.redis, deps.blocking]) {
          // Stryker disable next-line ConditionalExpression,EqualityOperator: timing only, as above (waitReady returns at once on a ready connection)
          if (conn.status !== "ready") await waitReady(conn, deps.stopping);
        }
        // Stryker disable next-line ArithmeticOperator,MethodExpression: the backoff between retries is timing only
        await sleep(Math.min(50 * 2 ** failures, 2000), deps.stopping);
      }
    }
    await this.flushAcks(3);
    this.exited = true;
  }

  /** Acks what was handled and takes the next job, without blocking. */
  private async take(): Promise<string | null> {
    const { deps } = this;
    const acks = this.pendingAcks;
    this.pendingAcks = [];
    let result: Awaited<ReturnType<typeof takeNext>>;
    try {
      result = await takeNext(deps.redis, deps.provider, deps.workerId, acks);
    } catch (err) {
      // Maybe acked, maybe not: ack again later (LREM of a string no longer there is harmless).
      this.pendingAcks.unshift(...acks);
      throw err;
    }
    if (result.held < acks.length) this.warnNotHeld();
    return result.job;
  }

  /** Waits for a job on our own connection (the queue was empty). */
  private async block(): Promise<string | null> {
    this.blocked = true;
    try {
      return await claim(
        this.deps.blocking,
        this.deps.provider,
        this.deps.workerId,
        this.deps.blockTimeoutMs,
      );
      // (Emptying the finally block is an equivalent mutant: CLIENT UNBLOCK of a connection that is
      // not blocked does nothing. A disable comment cannot reach that block from here.)
    } finally {
      // Stryker disable next-line BooleanLiteral: CLIENT UNBLOCK of a connection that is not blocked does nothing
      this.blocked = false;
    }
  }

  private warnNotHeld(): void {
    this.deps.log.warn(
      { worker_id: this.deps.workerId },
      "acked a job this worker no longer held: the reaper took it while the worker looked dead (it may run twice), or an ack was resent after a reconnect",
    );
  }

  private async handle(raw: string, deferAck: boolean): Promise<void> {
    this.busy = true;
    try {
      const outcome = await processJob(this.deps, raw);
      if (outcome !== "ack") return;
      this.pendingAcks.push(raw);
      // Stryker disable next-line ConditionalExpression,BooleanLiteral: a deferred ack goes with the next take like every other; only when it is sent differs
      if (!deferAck) await this.flushAcks(1, true);
    } finally {
      this.busy = false;
    }
  }

  /**
   * After a connection error: ack what was handled (first, or it would run again), then run what
   * is left in our processing list — claims whose replies were lost — oldest first.
   */
  private async recover(): Promise<void> {
    const { deps } = this;
    // Stryker disable next-line BooleanLiteral: commands of one connection run in order, so the LRANGE below sees the list after every ack sent before it, answered or not; a dropped connection fails the LRANGE too
    await this.flushAcks(1, true);
    const left = await deps.redis.lrange(queueKeys(deps.provider).processing(deps.workerId), 0, -1);
    for (const raw of left.reverse()) {
      if (deps.stopping.aborted) return;
      deps.log.warn({ worker_id: deps.workerId }, "found a claimed job whose reply was lost; running it");
      // Stryker disable next-line BooleanLiteral: as for deferAck above
      await this.handle(raw, false);
    }
  }

  private async flushAcks(tries: number, throwOnFailure = false): Promise<void> {
    const { deps } = this;
    // Stryker disable next-line EqualityOperator,ConditionalExpression: one try more is timing only, and a round with nothing pending sends nothing
    for (let t = 0; t < tries && this.pendingAcks.length > 0; t++) {
      // Stryker disable next-line ConditionalExpression,EqualityOperator: the pause between tries is timing only
      if (t > 0) await sleep(200);
      const acks = this.pendingAcks;
      this.pendingAcks = [];
      const results = await Promise.allSettled(
        acks.map((raw) => ack(deps.redis, deps.provider, deps.workerId, raw)),
      );
      for (const [i, r] of results.entries()) {
        if (r.status === "rejected") this.pendingAcks.push(acks[i]!);
        else if (!r.value) this.warnNotHeld();
      }
    }
    if (this.pendingAcks.length === 0) return;
    // Stryker disable next-line ConditionalExpression,StringLiteral: see recover(): the LRANGE after a failed ack cannot see the acked job
    if (throwOnFailure) throw new Error("could not ack handled jobs");
    deps.log.error(
      { worker_id: deps.workerId, jobs: this.pendingAcks.length },
      "could not ack handled jobs before stopping; the reaper will return them and they will run again",
    );
  }
}
