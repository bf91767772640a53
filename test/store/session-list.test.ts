import { join } from 'node:path';
import { afterEach, describe } from 'vitest';
import { createMemoryStores } from '../../src/store/memory.js';
import { createSqliteStores } from '../../src/store/sqlite.js';
import type { Stores } from '../../src/store/types.js';
import { tempDir } from './fixtures.js';
import { sessionListContract } from './session-list-contract.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
const keep = (stores: Stores): Stores => (cleanups.push(() => stores.close()), stores);

describe('memory session listing', () => sessionListContract(() => keep(createMemoryStores())));

describe('sqlite session listing', () =>
  sessionListContract(() => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    return keep(createSqliteStores(join(tmp.dir, 'orchestrator.db')));
  }));
