import type { Redis } from "ioredis";
import { defineScripts } from "../redis/scripts.ts";
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

/** The GCRA script on a connection (lib/redis/scripts.ts). */
const scripts = defineScripts({ rlTake: [gcraLua, 1] });

/** Takes one request from `client`'s budget (one round trip, one key). */
export async function takeToken(redis: Redis, client: string, limit: RateLimit): Promise<RateDecision> {
  const { granted, ...rest } = await takeTokens(redis, client, limit, 1);
  return { allowed: granted === 1, ...rest };
}

/**
 * Takes up to `want` requests at once from `client`'s budget (one round trip): as many as the
 * bucket holds, 0 when it holds none (then `waitUs` says when one will be there).
 */
export async function takeTokens(
  redis: Redis,
  client: string,
  limit: RateLimit,
  want: number,
): Promise<Omit<RateDecision, "allowed"> & { granted: number }> {
  const reply = await scripts(redis).rlTake(rateLimitKey(client), intervalMicros(limit), limit.burst, want);
  if (!Array.isArray(reply) || reply.length !== 4 || !reply.every((v) => typeof v === "number")) {
    throw new Error("ratelimit script: expected four integers");
  }
  const [granted, remaining, waitUs, nowUs] = reply as [number, number, number, number];
  return { granted, remaining, waitUs, nowUs };
}
