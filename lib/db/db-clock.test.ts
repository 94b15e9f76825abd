import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestDatabase, type TestDatabase } from "../../tests/helpers/db.ts";
import { jobSchema } from "../queue/job.ts";
import { createDbClock } from "./db-clock.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe("the database clock", () => {
  test("reads whole milliseconds, like Date.now(): what it stamps on a job is a valid job", async () => {
    // Repro (revocation model, seed 202): PostgreSQL's clock has microseconds, so the measured
    // offset had a fraction; the drift sweep stamped enqueued_at with it and every check job was
    // dead-lettered as "unparsable: invalid job at enqueued_at" — the sweep never looked at anything.
    let local = 1_000_000;
    const clock = createDbClock(db.sql, () => (local += 3));
    for (let i = 0; i < 20; i++) {
      await clock.sync();
      expect(Number.isInteger(clock.offsetMs())).toBe(true);
      expect(Number.isInteger(clock.now())).toBe(true);
    }
    const [row] = await db.sql<
      { ms: number }[]
    >`SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms`;
    expect(Math.abs(clock.now() - (row?.ms ?? 0))).toBeLessThan(1000);
    const job = {
      v: 1,
      id: "check-x",
      correlation_id: crypto.randomUUID(),
      provider: "aws",
      kind: "check",
      attempt: 0,
      enqueued_at: clock.now(),
      request: null,
    };
    expect(jobSchema.safeParse(job).success).toBe(true);
  });
});
