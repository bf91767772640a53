import { afterAll, beforeAll } from 'vitest';

/**
 * Starts `start()` in beforeAll and closes what it made in afterAll, for every
 * test of the file (or `describe`) that calls it. The returned function reads it,
 * and throws, naming `what`, when called before beforeAll has run.
 */
export function startedForTests<T extends { close(): Promise<void> }>(start: () => Promise<T>, what: string): () => T {
  let started: T | undefined;
  beforeAll(async () => {
    started = await start();
  });
  afterAll(async () => {
    await started?.close();
  });
  return () => {
    if (!started) throw new Error(`${what} starts in beforeAll`);
    return started;
  };
}

/**
 * An object whose `keys` read those of `get()` each time (getters), so it can be handed out
 * before beforeAll has started what `get` returns: the view `…ForTests` helpers return.
 */
export function readingThrough<T, K extends keyof T>(get: () => T, keys: readonly K[]): Pick<T, K> {
  const view = {} as Pick<T, K>;
  for (const key of keys) Object.defineProperty(view, key, { enumerable: true, get: () => get()[key] });
  return view;
}
