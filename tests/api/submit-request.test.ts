import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DependencyUnavailableError } from "../../lib/errors/http-errors.ts";
import { createRedis } from "../../lib/redis/connect.ts";
import { type SubmitDeps, submitRequest } from "../../lib/requests/submit-request.ts";
import { parseRequestPayload } from "../../lib/schemas/request.ts";
import { captureLog } from "../fixtures/queue-support.ts";
import { createTestApi, samples, type TestApi, writtenState } from "../helpers/api.ts";
import { testEnv } from "../helpers/env.ts";

// The write path of POST /api/v1/requests called directly with its dependencies: which clock a
// stored expiry comes from, and Redis known to be down before anything is written.
let api: TestApi;
const HOUR = 3_600_000;

beforeAll(async () => {
  api = await createTestApi();
});
afterAll(async () => {
  await api.close();
});

const deps = (over: Partial<SubmitDeps> = {}): SubmitDeps => ({
  sql: api.db.sql,
  redis: api.r.redis,
  log: captureLog().log,
  now: () => new Date(),
  dbTimeoutMs: 2000,
  redisTimeoutMs: 1000,
  ...over,
});

function parsed(body: unknown, now: Date) {
  const p = parseRequestPayload(body, { now, maxDurationMs: 30 * 24 * HOUR });
  if (!p.ok) throw new Error(`sample refused: ${JSON.stringify(p.issues)}`);
  return p.value;
}
const expiresAt = async (id: string) =>
  (
    await api.db.sql<{ expires_at: Date }[]>`SELECT expires_at FROM requests WHERE correlation_id = ${id}`
  )[0]?.expires_at.getTime();

describe("submitRequest", () => {
  test("a duration is counted on the database clock, not the validating one", async () => {
    // The API host's clock is a day behind: its own idea of the expiry is in the past.
    const skewed = new Date(Date.now() - 24 * HOUR);
    const { correlationId } = await submitRequest(
      deps(),
      "tester",
      parsed({ ...samples.awsManaged(), duration: "PT2H" }, skewed),
      null,
    );
    const [{ now }] = (await api.db.sql`SELECT now() AS now`) as unknown as [{ now: Date }];
    const stored = (await expiresAt(correlationId)) ?? 0;
    expect(Math.abs(stored - (now.getTime() + 2 * HOUR))).toBeLessThan(60_000);
  });

  test("an instant is stored as given", async () => {
    const at = new Date(Date.now() + 5 * HOUR);
    at.setMilliseconds(0);
    const { duration: _, ...noDuration } = samples.awsManaged();
    const { correlationId } = await submitRequest(
      deps(),
      "tester",
      parsed({ ...noDuration, expires_at: at.toISOString() }, new Date()),
      null,
    );
    expect(await expiresAt(correlationId)).toBe(at.getTime());
  });

  test("Redis known to be down: 503 before anything is written", async () => {
    const down = createRedis(testEnv().redisUrl, { keyPrefix: api.r.prefix });
    down.disconnect();
    const before = await writtenState(api);
    const err = await submitRequest(
      deps({ redis: down }),
      "tester",
      parsed(samples.awsManaged(), new Date()),
      null,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect((err as DependencyUnavailableError).dependency).toBe("redis");
    expect(await writtenState(api)).toEqual(before);
  });
});
