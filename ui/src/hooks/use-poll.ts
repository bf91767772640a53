import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from '../api.js';

/** What a polled read holds: the latest answer (kept while a later read fails) and the latest error. */
export interface Polled<T> {
  data: T | undefined;
  /** The last read's error in one sentence (describeError), cleared by the next success. */
  error: string | null;
  /** When the data was read (ms since the epoch). */
  at: number | null;
}

/**
 * Reads `load` now and then every `intervalMs` after the previous read ended (never two at
 * once), while the tab is visible: a hidden console asks the server nothing. `deps` restart it.
 */
export function usePoll<T>(load: (signal: AbortSignal) => Promise<T>, intervalMs: number, deps: unknown[] = []): Polled<T> {
  const [state, setState] = useState<Polled<T>>({ data: undefined, error: null, at: null });
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    // A read in flight: showing the tab again then must not start a second loop beside this one.
    let reading = false;
    const tick = async () => {
      timer = undefined;
      if (document.visibilityState === 'hidden') return;
      reading = true;
      try {
        const data = await loadRef.current(controller.signal);
        if (!controller.signal.aborted) setState({ data, error: null, at: Date.now() });
      } catch (err) {
        if (controller.signal.aborted) return;
        setState((prev) => ({ ...prev, error: describeError(err) }));
      } finally {
        reading = false;
      }
      if (!controller.signal.aborted) timer = setTimeout(() => void tick(), intervalMs);
    };
    const onVisible = () => {
      if (document.visibilityState === 'visible' && timer === undefined && !reading) void tick();
    };
    document.addEventListener('visibilitychange', onVisible);
    void tick();
    return () => {
      controller.abort();
      if (timer !== undefined) clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [intervalMs, ...deps]);
  return state;
}
