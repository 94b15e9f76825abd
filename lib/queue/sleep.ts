/** Waits `ms`, or less if `signal` aborts first; never rejects (an abort just ends the wait). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    // Stryker disable next-line ObjectLiteral,BooleanLiteral: an AbortSignal fires "abort" once, and done removes the listener itself
    signal?.addEventListener("abort", done, { once: true });
  });
}
