import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StorageSchema } from '../../src/config/schema.js';
import { openStores, resolveStorage } from '../../src/store/open-stores.js';
import type { Stores } from '../../src/store/types.js';
import { pair, tempDir } from './fixtures.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const opened = (stores: Stores) => {
  cleanups.push(() => stores.close());
  return stores;
};

describe('openStores', () => {
  it('opens SQLite in the configured data directory, creating it', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const dataDir = join(tmp.dir, 'nested', 'data');
    const stores = opened(await openStores(StorageSchema.parse({ data_dir: dataDir }), {}));
    expect(await stores.health()).toEqual({ status: 'ok', driver: 'sqlite' });
    expect(existsSync(join(dataDir, 'orchestrator.db'))).toBe(true);
  });

  it('lets DATA_DIR and STORE_DRIVER override the config', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const storage = StorageSchema.parse({ driver: 'sqlite', data_dir: join(tmp.dir, 'from-config') });
    const sqlite = opened(await openStores(storage, { DATA_DIR: join(tmp.dir, 'from-env') }));
    await sqlite.sessions.appendTurns('s', pair(1, '2025-01-01T00:00:00.000Z'));
    expect(existsSync(join(tmp.dir, 'from-env', 'orchestrator.db'))).toBe(true);
    expect(existsSync(join(tmp.dir, 'from-config'))).toBe(false);

    const memory = opened(await openStores(storage, { STORE_DRIVER: 'memory' }));
    expect((await memory.health()).driver).toBe('memory');
  });

  it('rejects an unknown STORE_DRIVER', () => {
    expect(() => resolveStorage(StorageSchema.parse({}), { STORE_DRIVER: 'postgres' })).toThrow(/STORE_DRIVER/);
  });

  it('fails fast, naming the directory, when the data directory cannot be created', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const blocker = join(tmp.dir, 'a-file');
    writeFileSync(blocker, 'not a directory');
    const dataDir = join(blocker, 'data');
    await expect(openStores(StorageSchema.parse({ data_dir: dataDir }), {})).rejects.toThrow(
      `data directory ${dataDir} is not writable`,
    );
  });

  it('passes max_stored_turns to the store', async () => {
    const stores = opened(await openStores(StorageSchema.parse({ driver: 'memory', max_stored_turns: 2 }), {}));
    await stores.sessions.appendTurns('s', pair(1, '2025-01-01T00:00:00.000Z'));
    await stores.sessions.appendTurns('s', pair(2, '2025-01-01T00:00:00.000Z'));
    expect((await stores.sessions.get('s'))!.turns.map((t) => t.content)).toEqual(['q2', 'a2']);
  });
});
