// Live data by polling with backoff: every `everyMs` while the tab is visible, doubling the wait
// after each failure up to `maxMs`, at once again when the tab comes back. (Server-sent events
// would need a push channel from PostgreSQL; a poll of an indexed page is cheap and survives any
// proxy.)
import { useEffect, useRef, useState } from "preact/hooks";

export interface Live<T> {
  data: T | null;
  error: Error | null;
  loading: boolean;
  /** When data was last loaded. */
  at: Date | null;
}

export function useLive<T>(
  load: (() => Promise<T>) | null,
  key: string,
  opts: { everyMs: number | null; maxMs?: number },
): Live<T> {
  const [state, setState] = useState<Live<T>>({ data: null, error: null, loading: load !== null, at: null });
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let wait = opts.everyMs ?? 0;
    setState((s) => ({ ...s, data: null, error: null, loading: loadRef.current !== null }));
    const tick = async () => {
      const fn = loadRef.current;
      if (!fn || stopped) return;
      try {
        const data = await fn();
        if (stopped) return;
        wait = opts.everyMs ?? 0;
        setState({ data, error: null, loading: false, at: new Date() });
      } catch (err) {
        if (stopped) return;
        wait = Math.min(Math.max(wait, 1000) * 2, opts.maxMs ?? 120_000);
        setState((s) => ({ ...s, error: err as Error, loading: false }));
      }
      schedule();
    };
    const schedule = () => {
      if (stopped || opts.everyMs === null) return;
      clearTimeout(timer);
      if (document.visibilityState === "hidden") return; // resumed by onVisible
      timer = setTimeout(() => void tick(), wait);
    };
    const onVisible = () => {
      if (document.visibilityState === "visible") {
        clearTimeout(timer);
        void tick();
      }
    };
    document.addEventListener("visibilitychange", onVisible);
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [key, opts.everyMs, opts.maxMs]);
  return state;
}
