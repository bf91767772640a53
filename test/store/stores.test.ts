import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { createMemoryStores } from '../../src/store/memory.js';
import { createSqliteStores } from '../../src/store/sqlite.js';
import { MIGRATIONS } from '../../src/store/sqlite-migrations.js';
import type { Stores } from '../../src/store/types.js';
import { pair, run, tempDir, turn } from './fixtures.js';

type Factory = (opts?: { maxStoredTurns?: number }) => Stores;

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const drivers: [string, Factory][] = [
  ['memory', (opts) => createMemoryStores(opts)],
  [
    'sqlite',
    (opts) => {
      const tmp = tempDir();
      cleanups.push(tmp.cleanup);
      return createSqliteStores(join(tmp.dir, 'orchestrator.db'), opts);
    },
  ],
];

const T0 = '2025-01-01T00:00:00.000Z';
const T1 = '2025-01-02T00:00:00.000Z';
const T2 = '2025-01-03T00:00:00.000Z';

describe.each(drivers)('%s store', (driver, make) => {
  const open = (opts?: { maxStoredTurns?: number }) => {
    const stores = make(opts);
    cleanups.push(() => stores.close());
    return stores;
  };

  it('creates a session on first append and returns every turn in order with its fields', async () => {
    const { sessions } = open();
    await sessions.appendTurns('s1', pair(1, T0));
    await sessions.appendTurns('s1', [
      turn('user', 'q2', T1),
      turn('assistant', 'a2', T1, { category: 'H', model_used: 'thinking_ai', run_id: 'run-9', cost_usd: 0.5 }),
    ]);
    const session = await sessions.get('s1');
    expect(session).toEqual({
      session_id: 's1',
      created_at: T0,
      updated_at: T1,
      cost_usd: expect.closeTo(0.501, 9),
      turns: [
        turn('user', 'q1', T0),
        turn('assistant', 'a1', T0),
        turn('user', 'q2', T1),
        turn('assistant', 'a2', T1, { category: 'H', model_used: 'thinking_ai', run_id: 'run-9', cost_usd: 0.5 }),
      ],
    });
  });

  it('returns null for an unknown session', async () => {
    const { sessions } = open();
    expect(await sessions.get('nobody')).toBeNull();
    expect(await sessions.recentTurns('nobody', 10)).toEqual([]);
  });

  it('gives the last turns oldest first for context', async () => {
    const { sessions } = open();
    for (let i = 1; i <= 3; i++) await sessions.appendTurns('s', pair(i, T0));
    expect((await sessions.recentTurns('s', 3)).map((t) => t.content)).toEqual(['a2', 'q3', 'a3']);
    expect(await sessions.recentTurns('s', 100)).toHaveLength(6);
    expect(await sessions.recentTurns('s', 0)).toEqual([]);
  });

  it('deletes a session with its turns and reports whether it existed', async () => {
    const { sessions } = open();
    await sessions.appendTurns('s', pair(1, T0));
    expect(await sessions.delete('s')).toBe(true);
    expect(await sessions.get('s')).toBeNull();
    expect(await sessions.delete('s')).toBe(false);
    await sessions.appendTurns('s', pair(2, T1));
    expect((await sessions.get('s'))!.turns.map((t) => t.content)).toEqual(['q2', 'a2']);
  });

  it('removes only sessions idle since before the cutoff', async () => {
    const { sessions } = open();
    await sessions.appendTurns('old', pair(1, T0));
    await sessions.appendTurns('active', pair(1, T0));
    await sessions.appendTurns('active', pair(2, T2));
    expect(await sessions.deleteIdleSince(T1)).toBe(1);
    expect(await sessions.get('old')).toBeNull();
    expect(await sessions.get('active')).not.toBeNull();
  });

  it('saves, replaces and returns run records, and sweeps old runs', async () => {
    const { runs } = open();
    await runs.save(run('r-old', T0, { status: 'running' }));
    await runs.save(run('r-old', T0, { status: 'completed', output: 'final' }));
    await runs.save(run('r-new', T2));
    expect(await runs.get('r-old')).toEqual(run('r-old', T0, { status: 'completed', output: 'final' }));
    expect(await runs.get('missing')).toBeNull();
    expect(await runs.deleteStartedBefore(T1)).toBe(1);
    expect(await runs.get('r-old')).toBeNull();
    expect(await runs.get('r-new')).toEqual(run('r-new', T2));
  });

  it('keeps stored values apart from the objects callers hold', async () => {
    const { sessions, runs } = open();
    const record = run('r', T0);
    await runs.save(record);
    record.tasks[0]!.status = 'failed';
    (await runs.get('r'))!.variables.market = 'changed';
    expect(await runs.get('r')).toEqual(run('r', T0));
    const turns = pair(1, T0);
    await sessions.appendTurns('s', turns);
    turns[0]!.content = 'changed';
    expect((await sessions.get('s'))!.turns[0]!.content).toBe('q1');
  });

  it('loses nothing under 100 concurrent appends of a pair on one session', async () => {
    const { sessions } = open();
    await Promise.all(Array.from({ length: 100 }, (_, i) => sessions.appendTurns('busy', pair(i, T0))));
    const { turns } = (await sessions.get('busy'))!;
    expect(turns).toHaveLength(200);
    const seen = new Set<string>();
    for (let i = 0; i < turns.length; i += 2) {
      const [q, a] = [turns[i]!, turns[i + 1]!];
      expect(q.role).toBe('user');
      expect(a.role).toBe('assistant');
      expect(a.content).toBe(q.content.replace('q', 'a'));
      seen.add(q.content);
    }
    expect(seen.size).toBe(100);
  });

  it('drops the oldest stored turns past max_stored_turns but keeps the session cost', async () => {
    const { sessions } = open({ maxStoredTurns: 4 });
    for (let i = 1; i <= 3; i++) await sessions.appendTurns('s', pair(i, T0));
    const session = (await sessions.get('s'))!;
    expect(session.turns.map((t) => t.content)).toEqual(['q2', 'a2', 'q3', 'a3']);
    expect(session.cost_usd).toBeCloseTo(0.003, 9);
  });

  it('answers with a 503 store error once closed, never a crash', async () => {
    const stores = open();
    await stores.sessions.appendTurns('s', pair(1, T0));
    await stores.close();
    const calls: (() => Promise<unknown>)[] = [
      () => stores.sessions.appendTurns('s', pair(2, T1)),
      () => stores.sessions.get('s'),
      () => stores.sessions.recentTurns('s', 5),
      () => stores.sessions.delete('s'),
      () => stores.sessions.deleteIdleSince(T1),
      () => stores.runs.save(run('r', T0)),
      () => stores.runs.get('r'),
      () => stores.runs.deleteStartedBefore(T1),
    ];
    for (const call of calls) {
      const err = await call().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ type: 'overloaded', status: 503, retryAfterS: 5 });
      expect((err as AppError).message).toMatch(/^session store unavailable: /);
    }
    expect((await stores.health()).status).toBe('error');
  });

  it('reports itself healthy while open', async () => {
    const stores = open();
    expect(await stores.health()).toMatchObject({ status: 'ok', driver });
  });
});

describe('sqlite store on disk', () => {
  const file = () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    return join(tmp.dir, 'orchestrator.db');
  };

  it('keeps sessions and runs across close and reopen of the same file', async () => {
    const path = file();
    const first = createSqliteStores(path);
    await first.sessions.appendTurns('s', pair(1, T0));
    await first.runs.save(run('r', T0));
    await first.close();

    const second = createSqliteStores(path);
    cleanups.push(() => second.close());
    expect((await second.sessions.get('s'))!.turns.map((t) => t.content)).toEqual(['q1', 'a1']);
    expect(await second.runs.get('r')).toEqual(run('r', T0));
  });

  it('applies its migrations once however often the file is opened', async () => {
    const path = file();
    const a = createSqliteStores(path);
    const b = createSqliteStores(path);
    await a.close();
    await b.close();
    const c = createSqliteStores(path);
    cleanups.push(() => c.close());
    const db = new Database(path, { readonly: true });
    cleanups.push(() => void db.close());
    expect(db.prepare('SELECT version FROM schema_migrations').all()).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('turns a locked file into a 503 and writes no half of the pair', async () => {
    const path = file();
    const stores = createSqliteStores(path, { busyTimeoutMs: 50 });
    cleanups.push(() => stores.close());
    await stores.sessions.appendTurns('s', pair(1, T0));

    const other = new Database(path);
    other.exec('BEGIN EXCLUSIVE');
    const err = await stores.sessions.appendTurns('s', pair(2, T1)).catch((e: unknown) => e);
    other.exec('ROLLBACK');
    other.close();

    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ type: 'overloaded', status: 503, message: 'session store unavailable: database is locked' });
    expect((await stores.sessions.get('s'))!.turns.map((t) => t.content)).toEqual(['q1', 'a1']);
    await stores.sessions.appendTurns('s', pair(3, T1));
    expect((await stores.sessions.get('s'))!.turns).toHaveLength(4);
  });

  it('refuses to open a path it cannot use as a database, naming the path', () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    expect(() => createSqliteStores(tmp.dir)).toThrow(tmp.dir);
  });
});
