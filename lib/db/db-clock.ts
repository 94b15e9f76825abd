import type { Db } from "./connect.ts";

/**
 * The database's clock, read from this process: the one clock every expiry decision is taken by
 * (docs/revocation.md, "one clock"). Expiries are set and compared in SQL with now(); a process
 * that must decide what is due without a query per decision (the scheduler promoting due
 * revocations) keeps the offset between its own clock and PostgreSQL's, measured with the round
 * trip halved, and refreshes it. A process clock that is minutes off changes nothing.
 */
export interface DbClock {
  /** The database's time now, whole ms (its best estimate). */
  now(): number;
  /** Measures the offset again; keeps the last one when the database does not answer. */
  sync(): Promise<void>;
  /** The offset last measured, ms (database − local). */
  offsetMs(): number;
}

export function createDbClock(sql: Db, local: () => number = Date.now): DbClock {
  let offset = 0;
  return {
    now: () => local() + offset,
    offsetMs: () => offset,
    async sync() {
      const before = local();
      const [row] = await sql<
        { ms: number }[]
      >`SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms`;
      const after = local();
      // Whole milliseconds, as Date.now() gives: the time is stamped on jobs (enqueued_at), whose
      // schema takes integers, and PostgreSQL's clock has microseconds.
      if (row) offset = Math.round(row.ms - (before + after) / 2);
    },
  };
}
