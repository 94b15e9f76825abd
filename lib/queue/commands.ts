import { defineScripts } from "../redis/scripts.ts";
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

/** The queue's Lua scripts on a connection, by name (lib/redis/scripts.ts). */
export const queueScripts = defineScripts({
  qAckAndTake: [ackAndTakeLua, 2],
  qPromoteDue: [promoteDueLua, 2],
  qRouteDue: [routeDueLua, undefined],
  qRetry: [retryLua, 2],
  qDeadLetter: [deadLetterLua, 2],
  qRelease: [releaseLua, 2],
  qHeartbeat: [heartbeatLua, 1],
  qDeregisterWorker: [deregisterWorkerLua, 2],
  qRequeueWorker: [requeueWorkerLua, 5],
});
export type QueueScripts = ReturnType<typeof queueScripts>;

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
