import postgres, { type Sql, type TransactionSql } from "postgres";

export type { Sql };
/** A pool or an open transaction: query functions take either. */
export type Db = Sql | TransactionSql;

export interface SqlOptions {
  max?: number;
  /** Connect and statement timeout; a dead server fails a query instead of hanging it. */
  timeoutMs?: number;
  /** Application name shown in pg_stat_activity. */
  applicationName?: string;
  /**
   * "off" for a pool whose writes may be lost in a PostgreSQL crash without harm (the webhook
   * delivery bookkeeping: a lost "delivered" means one more send under the same webhook-id).
   * Saves an fsync per commit, which every other writer of the server waits behind.
   */
  synchronousCommit?: "on" | "off";
}

export function createSql(url: string, opts: SqlOptions = {}): Sql {
  const timeoutMs = opts.timeoutMs ?? 3000;
  return postgres(url, {
    max: opts.max ?? 10,
    connect_timeout: Math.max(1, Math.ceil(timeoutMs / 1000)),
    idle_timeout: 60,
    max_lifetime: 60 * 30,
    onnotice: () => {},
    // postgres.js backs off 3^retries/100 s between reconnects, up to 20 s, and its retry count
    // grows with every refused query while the server is down: after a short outage the pool
    // would sit idle for up to 20 s. Cap it at 1 s so service resumes promptly.
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1),
    connection: {
      application_name: opts.applicationName ?? "csecbridge",
      statement_timeout: timeoutMs,
      ...(opts.synchronousCommit ? { synchronous_commit: opts.synchronousCommit } : {}),
    },
  });
}
