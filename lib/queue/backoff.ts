export interface BackoffOptions {
  /** Delay before the second attempt, before jitter. */
  baseMs: number;
  /** Upper bound of any delay. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 5 * 60_000 };

/**
 * Delay before retrying a job whose attempt `attempt` (0-based) just failed: exponential, capped,
 * with "equal jitter" (half fixed, half random) so a burst of failures does not come back as a
 * burst, yet no retry comes back almost at once.
 */
export function backoffDelayMs(
  attempt: number,
  opts: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(exp / 2 + random() * (exp / 2));
}
