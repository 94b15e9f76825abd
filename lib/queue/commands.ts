import type { Redis } from "ioredis";
import ackAndTakeLua from "./lua/ack-and-take.lua" with { type: "text" };
import deadLetterLua from "./lua/dead-letter.lua" with { type: "text" };
import deregisterWorkerLua from "./lua/deregister-worker.lua" with { type: "text" };
import heartbeatLua from "./lua/heartbeat.lua" with { type: "text" };
import promoteDueLua from "./lua/promote-due.lua" with { type: "text" };
import releaseLua from "./lua/release.lua" with { type: "text" };
import requeueWorkerLua from "./lua/requeue-worker.lua" with { type: "text" };
import retryLua from "./lua/retry.lua" with { type: "text" };
import routeDueLua from "./lua/route-due.lua" with { type: "text" };

/** Negative integers our scripts return instead of a result; named once, turned into outcomes by callers. */
export enum ScriptCode {
  /** The worker no longer holds the job: the reaper gave it back to the queue meanwhile. */
  NotHeld = -1,
  /** The worker sent a heartbeat since it was found stale, or another scheduler reaped it first. */
  WorkerAlive = -2,
}

// Name → [lua text, number of KEYS (undefined: the caller passes it first)].
// The .lua files are imported as text so a `bun build --compile` binary embeds them.
const SCRIPTS = {
  qAckAndTake: [ackAndTakeLua, 2],
  qPromoteDue: [promoteDueLua, 2],
  qRouteDue: [routeDueLua, undefined],
  qRetry: [retryLua, 2],
  qDeadLetter: [deadLetterLua, 2],
  qRelease: [releaseLua, 2],
  qHeartbeat: [heartbeatLua, 1],
  qDeregisterWorker: [deregisterWorkerLua, 2],
  qRequeueWorker: [requeueWorkerLua, 5],
} as const satisfies Record<string, readonly [string, number | undefined]>;

type ScriptName = keyof typeof SCRIPTS;
type ScriptArg = string | number;
export type QueueScripts = Record<ScriptName, (...args: ScriptArg[]) => Promise<unknown>>;

const registered = new WeakMap<Redis, QueueScripts>();

/**
 * The queue's Lua scripts on this connection, registered with defineCommand on first use (once
 * per connection) and called by name. ioredis sends EVALSHA and falls back to EVAL after
 * NOSCRIPT (a restarted Redis), and applies the connection's keyPrefix to every KEYS entry.
 */
export function queueScripts(redis: Redis): QueueScripts {
  const known = registered.get(redis);
  if (known) return known;
  const byName = redis as unknown as Record<string, (...args: ScriptArg[]) => Promise<unknown>>;
  const scripts = {} as QueueScripts;
  for (const [name, [lua, numberOfKeys]] of Object.entries(SCRIPTS) as [
    ScriptName,
    (typeof SCRIPTS)[ScriptName],
  ][]) {
    redis.defineCommand(name, numberOfKeys === undefined ? { lua } : { lua, numberOfKeys });
    scripts[name] = (...args) => byName[name]!.apply(redis, args);
  }
  registered.set(redis, scripts);
  return scripts;
}

/** Narrows a script reply that must be an integer. */
export function asInteger(reply: unknown): number {
  if (typeof reply !== "number") throw new Error(`queue script: expected an integer, got ${typeof reply}`);
  return reply;
}

/** Narrows a script reply that must be an array of strings. */
export function asStrings(reply: unknown): string[] {
  if (!Array.isArray(reply) || !reply.every((v) => typeof v === "string")) {
    throw new Error("queue script: expected an array of strings");
  }
  return reply;
}
