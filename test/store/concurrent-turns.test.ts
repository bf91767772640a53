import { join } from 'node:path';
import { describe, it } from 'vitest';
import { createSqliteStores } from '../../src/store/sqlite.js';
import { appendFromProcesses, expectPairsAdjacent, PAIRS, WRITERS } from './concurrent-turns.js';
import { tempDir } from './fixtures.js';

describe('concurrent turns on one SQLite file', () => {
  it(`${WRITERS} processes appending ${PAIRS} pairs each at once leave every user turn directly followed by its answer`, { timeout: 120_000 }, async () => {
    const tmp = tempDir();
    const file = join(tmp.dir, 'orchestrator.db');
    // Created first, so the writers only open it (the schema is not what this test races).
    const stores = createSqliteStores(file);
    try {
      await appendFromProcesses('sqlite', file, '', 'crowded');
      await expectPairsAdjacent(stores, 'crowded');
    } finally {
      await stores.close();
      tmp.cleanup();
    }
  });
});
