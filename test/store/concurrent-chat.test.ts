import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { createMemoryStores } from '../../src/store/memory.js';
import { createSqliteStores } from '../../src/store/sqlite.js';
import type { Stores } from '../../src/store/types.js';
import { startTestApp } from '../helpers/app.js';
import { expectCrowdedSessionIntact } from './concurrent-chat.js';

const drivers: [string, () => { stores: Stores; cleanup: () => void }][] = [
  ['memory', () => ({ stores: createMemoryStores(), cleanup: () => undefined })],
  [
    'sqlite',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'mo-chat-'));
      return { stores: createSqliteStores(join(dir, 'orchestrator.db')), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    },
  ],
];

describe.each(drivers)('100 concurrent /chat calls on one session (%s store)', (_name, open) => {
  it('leave exactly 200 turns, each user turn directly followed by its own answer', async () => {
    const { stores, cleanup } = open();
    const t = await startTestApp({ stores });
    try {
      await expectCrowdedSessionIntact(t);
    } finally {
      await t.close();
      cleanup();
    }
  });
});
