import pino, { type Logger } from "pino";

export type { Logger };

/** Paths that may carry secrets; pino replaces them before a line is written. */
const REDACT = [
  "authorization",
  "*.authorization",
  "headers.authorization",
  "req.headers.authorization",
  "token",
  "*.token",
  "secret",
  "*.secret",
  "password",
  "*.password",
  "client_secret",
  "*.client_secret",
  "access_token",
  "*.access_token",
];

export interface LoggerOptions {
  service: string;
  level: string;
  version?: string;
  /** Destination stream; defaults to stdout. Tests pass a buffer to assert on lines. */
  destination?: pino.DestinationStream;
}

/** One root logger per process; children add correlation_id, job_id, provider. */
export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      level: opts.level,
      base: { service: opts.service, version: opts.version ?? "0.1.0" },
      redact: { paths: REDACT, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
