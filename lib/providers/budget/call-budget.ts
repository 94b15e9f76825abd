import type { Redis } from "ioredis";
import type { Logger } from "../../logging/logger.ts";
import { defineScripts } from "../../redis/scripts.ts";
import { ProviderError } from "../types.ts";
import pauseCallsLua from "./lua/pause-calls.lua" with { type: "text" };
import takeCallSlotLua from "./lua/take-call-slot.lua" with { type: "text" };

/**
 * One cloud account's call budget, shared through Redis by every worker process that calls that
 * account (docs/design.md, "Redis keys"). The deployment-wide key prefix is the connection's.
 */
export const callBudgetKeys = (provider: string, account: string) => ({
  /** GCRA timestamp of the account's bucket (lua/take-call-slot.lua). */
  budget: `cloud:${provider}:${account}`,
  /** Until when nobody calls the account: set after a throttle (lua/pause-calls.lua). */
  pause: `cloud:${provider}:${account}:pause`,
});

/** What the budget tells the metrics (lib/metrics/call-budget-metrics.ts). */
export interface CallBudgetObserver {
  /** A call got its slot after waiting `ms` (0: at once). */
  waited(ms: number): void;
  /** Redis did not answer in time or at all: the call went unmetered. */
  failedOpen(): void;
  /** A throttle paused every sharer for `ms`. */
  paused(ms: number): void;
  /** No slot within the deadline: the call was not sent. */
  waitExceeded(): void;
}

export interface CallBudgetOptions {
  redis: Redis;
  provider: string;
  /** The account (AWS) or tenant (Azure) the calls count against: sharers use the same name. */
  account: string;
  /** Sustained calls per second for the whole account, every worker together (> 0). */
  callsPerSecond: number;
  /** Calls that may go at once after a quiet spell (>= 1). */
  burst: number;
  /**
   * Longest one call waits for its slot. A call whose slot would come later fails at once with
   * CallBudgetWaitExceeded (a transient error the queue retries after that wait) instead of
   * holding its job: more callers than callsPerSecond × maxWaitMs / 1000 at once only retry.
   */
  maxWaitMs: number;
  /** Longest a single script call may take before the budget gives up on Redis for this call. */
  redisTimeoutMs?: number;
  /** A pause for a throttle that named no Retry-After (AWS's usual Throttling). Default 1 s. */
  defaultPauseMs?: number;
  /** Upper bound of any pause, whatever a Retry-After says. Default 60 s. */
  maxPauseMs?: number;
  log: Logger;
  observer?: CallBudgetObserver;
}

/** What an abort signal must offer here (the Azure pipeline's is an AbortSignalLike). */
export type AbortSignalLike = Pick<AbortSignal, "aborted" | "addEventListener" | "removeEventListener"> & {
  readonly reason?: unknown;
};

export interface CallBudget {
  readonly provider: string;
  readonly account: string;
  /**
   * Books the account's next free slot and sleeps until it (callers are served in the order they
   * asked, one round trip each; nobody polls). Resolves at once, unmetered, when Redis cannot
   * answer (fail-open). Throws CallBudgetWaitExceeded, without booking, when the next free slot is
   * past the deadline; the signal's reason when it aborts.
   */
  take(signal?: AbortSignalLike): Promise<void>;
  /**
   * The cloud throttled a call: every sharer stays away for `retryAfterMs` (the cloud's
   * Retry-After), or the default pause when it named none. Never throws.
   */
  throttled(retryAfterMs: number | undefined): Promise<void>;
}

/** The call was never sent: the account's budget had no slot within the deadline. */
export class CallBudgetWaitExceeded extends ProviderError {
  constructor(provider: string, account: string, waitedMs: number, nextSlotMs: number) {
    super({
      code: "call_budget_wait_exceeded",
      retryable: true,
      providerCode: "CallBudgetWaitExceeded",
      providerMessage:
        `no call slot for ${provider} account ${account} within the wait allowed ` +
        `(waited ${Math.round(waitedMs)} ms, next free in ${Math.round(nextSlotMs)} ms); the call was not sent`,
      retryAfterMs: Math.ceil(nextSlotMs),
    });
    this.name = "CallBudgetWaitExceeded";
  }
}

/** Redis did not answer the budget's script in time (the budget then fails open). */
export class CallBudgetUnavailable extends Error {
  readonly code = "call_budget_unavailable";
  readonly retryable = true;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CallBudgetUnavailable";
  }
}

/** The budget's scripts on a connection (lib/redis/scripts.ts). */
const budgetScripts = defineScripts({
  cbTakeCallSlot: [takeCallSlotLua, 2],
  cbPauseCalls: [pauseCallsLua, 1],
});

/** µs between two calls at the sustained rate, as the script takes it (integer, >= 1). */
export const intervalMicros = (callsPerSecond: number) => Math.max(1, Math.round(1_000_000 / callsPerSecond));

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CallBudgetUnavailable(`Redis gave no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Sleeps `ms`; rejects with the signal's reason if it aborts first. */
function sleepUnlessAborted(ms: number, signal: AbortSignalLike | undefined): Promise<void> {
  const aborted = () => signal?.reason ?? new DOMException("The operation was aborted.", "AbortError");
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted());
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export function createCallBudget(opts: CallBudgetOptions): CallBudget {
  if (!(opts.callsPerSecond > 0)) throw new RangeError("call budget: callsPerSecond must be > 0");
  if (!Number.isInteger(opts.burst) || opts.burst < 1)
    throw new RangeError("call budget: burst must be >= 1");
  const { redis, provider, account, observer } = opts;
  const keys = callBudgetKeys(provider, account);
  const interval = intervalMicros(opts.callsPerSecond);
  const redisTimeoutMs = opts.redisTimeoutMs ?? 500;
  const defaultPauseMs = opts.defaultPauseMs ?? 1000;
  const maxPauseMs = opts.maxPauseMs ?? 60_000;
  const log = opts.log.child({ component: "call-budget", provider, account });
  // Fail-open is logged once per outage: at its start (warn) and at its end (info).
  let unavailable = false;
  const failOpen = (err: unknown, what: string) => {
    observer?.failedOpen();
    if (unavailable) return;
    unavailable = true;
    log.warn({ err }, `call budget unavailable (${what}); cloud calls go unmetered until Redis answers`);
  };
  const answered = () => {
    if (!unavailable) return;
    unavailable = false;
    log.info("call budget available again");
  };

  return {
    provider,
    account,
    async take(signal) {
      const started = performance.now();
      const scripts = budgetScripts(redis);
      for (;;) {
        const waitedMs = performance.now() - started;
        let waitUs: number;
        let booked: boolean;
        try {
          const leftUs = Math.max(0, Math.floor((opts.maxWaitMs - waitedMs) * 1000));
          const reply = await withTimeout(
            scripts.cbTakeCallSlot(keys.budget, keys.pause, interval, opts.burst, leftUs),
            redisTimeoutMs,
          );
          if (!Array.isArray(reply) || typeof reply[0] !== "number" || typeof reply[1] !== "number") {
            throw new CallBudgetUnavailable("take-call-slot.lua: unexpected reply");
          }
          [waitUs, booked] = [reply[0], reply[1] === 1];
          answered();
        } catch (err) {
          failOpen(err, "taking a slot");
          return;
        }
        if (!booked) {
          observer?.waitExceeded();
          throw new CallBudgetWaitExceeded(provider, account, waitedMs, waitUs / 1000);
        }
        if (waitUs <= 0) {
          observer?.waited(waitedMs);
          return;
        }
        await sleepUnlessAborted(waitUs / 1000, signal);
        // A pause may have begun while this call slept towards its slot: then it waits the pause
        // out and books again, like everyone else (the script books nothing before the pause ends).
        let pauseLeftMs: number;
        try {
          pauseLeftMs = await withTimeout(redis.pttl(keys.pause), redisTimeoutMs);
        } catch (err) {
          failOpen(err, "checking for a pause");
          return;
        }
        if (pauseLeftMs <= 0) {
          observer?.waited(performance.now() - started);
          return;
        }
      }
    },
    async throttled(retryAfterMs) {
      const ms = Math.min(Math.max(1, retryAfterMs ?? defaultPauseMs), maxPauseMs);
      try {
        await withTimeout(
          budgetScripts(redis).cbPauseCalls(keys.pause, Math.round(ms * 1000)),
          redisTimeoutMs,
        );
        answered();
        observer?.paused(ms);
        log.info({ pause_ms: ms }, "the cloud throttled a call: every worker of this account pauses");
      } catch (err) {
        failOpen(err, "recording a pause");
      }
    },
  };
}
