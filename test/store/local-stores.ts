import { join } from 'node:path';
import { afterEach, describe } from 'vitest';
import { createMemoryStores } from '../../src/store/memory.js';
import { createSqliteStores } from '../../src/store/sqlite.js';
import type { Stores } from '../../src/store/types.js';
import { tempDir } from './fixtures.js';

/**
 * Runs a store contract against the memory stores and the SQLite ones (in a temporary
 * directory), as `memory <what>` and `sqlite <what>`; every store a test opens is closed,
 * and its directory removed, after the test.
 */
export function onLocalStores(what: string, contract: (open: () => Stores) => void): void {
  const cleanups: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });
  const keep = (stores: Stores): Stores => (cleanups.push(() => stores.close()), stores);

  describe(`memory ${what}`, () => contract(() => keep(createMemoryStores())));

  describe(`sqlite ${what}`, () =>
    contract(() => {
      const tmp = tempDir();
      cleanups.push(tmp.cleanup);
      return keep(createSqliteStores(join(tmp.dir, 'orchestrator.db')));
    }));
}
