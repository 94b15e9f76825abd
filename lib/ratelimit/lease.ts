import type { Redis } from "ioredis";
import type { RateLimit } from "./limits.ts";
import { type RateDecision, takeToken, takeTokens } from "./take.ts";

/** Leased requests not used within this long are dropped (they stay spent in Redis). */
export const LEASE_MS = 1000;
/** Most requests one lease takes. */
export const MAX_LEASE = 64;

/**
 * How many requests an API process takes from Redis at once for a client with this limit: 1 %
 * of its burst, at most MAX_LEASE; 1 (every request asks Redis, exactly) below a burst of 200,
 * which covers the default limit and every limit a caller could notice a lease in.
 *
 * Why: for a client with a large budget the Redis round trip per request was a fifth of the cost
 * of a cached status read (docs/benchmarks.md). What it costs: a process may admit up to its
 * lease's worth of requests that another replica could have used, and requests leased but not
 * used within LEASE_MS are lost to the client; so in any window a client gets at most its budget
 * plus one lease per replica, which is at most 1 % of its burst per replica.
 */
export function leaseSize(limit: RateLimit): number {
  return limit.burst >= 200 ? Math.min(MAX_LEASE, Math.floor(limit.burst / 100)) : 1;
}

interface Held {
  left: number;
  until: number;
  /** Redis's answer when the lease was taken. */
  remaining: number;
  waitUs: number;
  nowUs: number;
}

export interface RateLeases {
  /** One request of `client`'s budget: from the process's lease, else from Redis. */
  take(client: string, limit: RateLimit): Promise<RateDecision>;
}

/**
 * Per-process leases of the clients' Redis budgets (lib/ratelimit/lua/gcra.lua, `want` > 1).
 * Concurrent requests of one client share one round trip: while a lease is being taken the
 * others wait for it instead of asking Redis too. `nowMs` is the local clock (tests move it).
 */
export function createRateLeases(redis: Redis, nowMs: () => number = () => performance.now()): RateLeases {
  const held = new Map<string, Held>();
  const taking = new Map<string, Promise<RateDecision>>();

  const fromLease = (h: Held): RateDecision => {
    h.left--;
    return { allowed: true, remaining: h.remaining + h.left, waitUs: h.waitUs, nowUs: h.nowUs };
  };

  const lease = async (client: string, limit: RateLimit, want: number): Promise<RateDecision> => {
    const asked = nowMs();
    const { granted, remaining, waitUs, nowUs } = await takeTokens(redis, client, limit, want);
    if (granted === 0) return { allowed: false, remaining: 0, waitUs, nowUs };
    // One is this request's; the rest wait for the next ones, timed from before the call.
    held.set(client, { left: granted - 1, until: asked + LEASE_MS, remaining, waitUs, nowUs });
    return { allowed: true, remaining: remaining + granted - 1, waitUs, nowUs };
  };

  return {
    async take(client, limit) {
      const want = leaseSize(limit);
      if (want === 1) return await takeToken(redis, client, limit);
      for (;;) {
        const h = held.get(client);
        if (h && h.left > 0 && nowMs() < h.until) return fromLease(h);
        const pending = taking.get(client);
        if (pending) {
          // Someone is taking a lease: its refusal (or failure) holds for everyone waiting on
          // it; otherwise look again (what it brought may already be used up by the others).
          const decision = await pending;
          if (!decision.allowed) return decision;
          continue;
        }
        const mine = lease(client, limit, want);
        taking.set(client, mine);
        try {
          return await mine;
        } finally {
          taking.delete(client);
        }
      }
    },
  };
}
