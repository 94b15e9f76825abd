/**
 * Concurrent identical cloud reads share one call ("single flight"): grants in flight for one
 * principal ask the same listing, and one answer serves them. Each read carries the tag of the
 * caller that started it (the worker's: when its decision began, on the database clock); a
 * caller that joins gets that tag back, so it knows how old the answer may be. Nothing is kept
 * once a read settles.
 */
export type SharedRead<T> = (
  key: string,
  tag: number | undefined,
  read: () => Promise<T>,
) => Promise<{ value: T; tag: number | undefined }>;

export function createSharedReads<T>(): SharedRead<T> {
  const inflight = new Map<string, { tag: number | undefined; promise: Promise<T> }>();
  return async (key, tag, read) => {
    const current = inflight.get(key);
    if (current !== undefined) return { value: await current.promise, tag: current.tag };
    const promise: Promise<T> = read().finally(() => {
      if (inflight.get(key)?.promise === promise) inflight.delete(key);
    });
    inflight.set(key, { tag, promise });
    return { value: await promise, tag };
  };
}
