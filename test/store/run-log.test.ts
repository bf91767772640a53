import { join } from 'node:path';
import { afterEach, describe } from 'vitest';
import { createMemoryStores } from '../../src/store/memory.js';
import { createSqliteStores } from '../../src/store/sqlite.js';
import type { Stores } from '../../src/store/types.js';
import { tempDir } from './fixtures.js';
import { runLogContract } from './run-log-contract.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
const keep = (stores: Stores): Stores => (cleanups.push(() => stores.close()), stores);

describe('memory run store and event log', () => runLogContract(() => keep(createMemoryStores())));

describe('sqlite run store and event log', () =>
  runLogContract(() => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    return keep(createSqliteStores(join(tmp.dir, 'orchestrator.db')));
  }));
