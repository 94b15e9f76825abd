import type { Redis } from "ioredis";
import { rateLimitKey } from "./keys.ts";
import { intervalMicros, type RateLimit } from "./limits.ts";
import gcraLua from "./lua/gcra.lua" with { type: "text" };

export interface RateDecision {
  allowed: boolean;
  /** Requests still allowed right now after this one. */
  remaining: number;
  /** µs until one more request will be allowed (for a refusal: when to retry). */
  waitUs: number;
  /** Redis server time of the decision, µs since the epoch. */
  nowUs: number;
}

const COMMAND = "rlTake";
type Take = (key: string, interval: number, burst: number) => Promise<unknown>;
const registered = new WeakMap<Redis, Take>();

/** The script on this connection, registered once with defineCommand (EVALSHA, EVAL on NOSCRIPT). */
function takeCommand(redis: Redis): Take {
  const known = registered.get(redis);
  if (known) return known;
  redis.defineCommand(COMMAND, { lua: gcraLua, numberOfKeys: 1 });
  const fn = (redis as unknown as Record<string, Take>)[COMMAND];
  if (!fn) throw new Error("ratelimit: defineCommand did not register the script");
  const take: Take = (...args) => fn.apply(redis, args);
  registered.set(redis, take);
  return take;
}

/** Takes one request from `client`'s budget (one round trip, one key). */
export async function takeToken(redis: Redis, client: string, limit: RateLimit): Promise<RateDecision> {
  const reply = await takeCommand(redis)(rateLimitKey(client), intervalMicros(limit), limit.burst);
  if (!Array.isArray(reply) || reply.length !== 4 || !reply.every((v) => typeof v === "number")) {
    throw new Error("ratelimit script: expected four integers");
  }
  const [allowed, remaining, waitUs, nowUs] = reply as [number, number, number, number];
  return { allowed: allowed === 1, remaining, waitUs, nowUs };
}
