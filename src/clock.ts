import type { CallerSignal } from './caller-signal.js';
/** Time as a collaborator, so tests can drive it. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: CallerSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Waits for `work` at most `ms`: true when it settled in time (a rejection is passed on), false
 * when the time ran out first. The timer never outlives the wait, so it holds no exit.
 */
export async function settledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  const done = work.then(() => true);
  // A rejection after the time ran out is nobody's to handle.
  done.catch(() => undefined);
  const timer = new AbortController();
  try {
    return await Promise.race([done, sleep(ms, timer.signal).then(() => false, () => false)]);
  } finally {
    timer.abort();
  }
}
