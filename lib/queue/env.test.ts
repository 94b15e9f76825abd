import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { queueConsumerEnv, queueReaperEnv } from "./env.ts";

// Each queue setting's default and both ends of its range, as a service reads them from its
// environment (strings, coerced): the edge value is taken, one past it is refused by name.
const consumer = z.object(queueConsumerEnv);
const reaper = z.object(queueReaperEnv);

const RANGES: [
  schema: typeof consumer | typeof reaper,
  name: string,
  min: number,
  max: number,
  dflt: number,
][] = [
  [consumer, "QUEUE_CONCURRENCY", 1, 500, 10],
  [consumer, "QUEUE_BLOCK_TIMEOUT_MS", 50, 30_000, 1000],
  [consumer, "QUEUE_MAX_ATTEMPTS", 1, 100, 5],
  [consumer, "QUEUE_BACKOFF_BASE_MS", 1, 3_600_000, 1000],
  [consumer, "QUEUE_BACKOFF_MAX_MS", 1, 86_400_000, 300_000],
  [consumer, "WORKER_HEARTBEAT_INTERVAL_MS", 50, 60_000, 1000],
  [reaper, "WORKER_HEARTBEAT_TIMEOUT_MS", 200, 600_000, 10_000],
  [reaper, "QUEUE_MAX_RECOVERIES", 0, 100, 3],
];

describe("queue settings", () => {
  test("the defaults", () => {
    expect(consumer.parse({})).toEqual({
      QUEUE_CONCURRENCY: 10,
      QUEUE_BLOCK_TIMEOUT_MS: 1000,
      QUEUE_MAX_ATTEMPTS: 5,
      QUEUE_BACKOFF_BASE_MS: 1000,
      QUEUE_BACKOFF_MAX_MS: 300_000,
      WORKER_HEARTBEAT_INTERVAL_MS: 1000,
    });
    expect(reaper.parse({})).toEqual({ WORKER_HEARTBEAT_TIMEOUT_MS: 10_000, QUEUE_MAX_RECOVERIES: 3 });
  });

  test.each(RANGES)("%#: %p from %p to %p, default %p", (schema, name, min, max, dflt) => {
    const value = (v: string) => (schema.parse({ [name]: v }) as Record<string, number>)[name];
    expect(value(String(min))).toBe(min);
    expect(value(String(max))).toBe(max);
    expect((schema.parse({}) as Record<string, number>)[name]).toBe(dflt);
    for (const bad of [String(min - 1), String(max + 1), `${min}.5`, "ten"]) {
      const r = schema.safeParse({ [name]: bad });
      expect(r.success).toBe(false);
      expect(r.error?.issues.map((i) => i.path)).toEqual([[name]]);
    }
  });
});
