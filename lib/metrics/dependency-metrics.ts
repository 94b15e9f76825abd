import type { Redis } from "ioredis";
import { Gauge } from "prom-client";
import type { Sql } from "../db/connect.ts";
import type { Registry } from "./registry.ts";

export interface DependencyProbes {
  sql: Sql;
  redis: Redis;
  /** Bound of one probe, ms. */
  timeoutMs?: number;
  /** A result is reused for this long, so frequent or parallel scrapes do not add load. */
  cacheMs?: number;
}

export type DependencyState = Record<"postgres" | "redis", boolean>;

async function within(ms: number, fn: () => Promise<unknown>): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([fn().then(() => true), deadline]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * csecbridge_dependency_up{dependency="postgres"|"redis"}: 1 when `SELECT 1` / `PING` answered
 * within the bound, as seen by this process. Probed when scraped, at most once per `cacheMs`
 * (default 5 s), each probe bounded (default 1 s), so a scrape never hangs on a dead server.
 * Returns the probe for /healthz-style answers.
 */
export function dependencyMetrics(
  registry: Registry,
  probes: DependencyProbes,
): () => Promise<DependencyState> {
  const timeoutMs = probes.timeoutMs ?? 1000;
  const cacheMs = probes.cacheMs ?? 5000;
  let cached: { at: number; state: Promise<DependencyState> } | undefined;
  const probe = (): Promise<DependencyState> => {
    const now = performance.now();
    if (cached && now - cached.at < cacheMs) return cached.state;
    const state = Promise.all([
      within(timeoutMs, () => probes.sql`SELECT 1`),
      // No offline queue on our connections: a PING while disconnected fails at once.
      within(timeoutMs, () => probes.redis.ping()),
    ]).then(([postgres, redis]) => ({ postgres, redis }));
    cached = { at: now, state };
    return state;
  };
  new Gauge({
    name: "csecbridge_dependency_up",
    help: "1 when the dependency answered this process's probe (SELECT 1, PING) within a second.",
    labelNames: ["dependency"],
    registers: [registry],
    async collect() {
      const state = await probe();
      this.set({ dependency: "postgres" }, state.postgres ? 1 : 0);
      this.set({ dependency: "redis" }, state.redis ? 1 : 0);
    },
  });
  return probe;
}
