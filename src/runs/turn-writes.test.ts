import { describe, expect, it } from 'vitest';
import type { RunWrite, RunWriteResult } from '../store/types.js';
import { TurnWrites } from './turn-writes.js';

const event = (run_id: string, name: string): RunWrite => ({ kind: 'event', run_id, event: name, data: {} });

describe('TurnWrites', () => {
  it('writes what one turn asked for in one call, in the order asked, and what the next turn asks for in the next', async () => {
    const calls: string[][] = [];
    const writes = new TurnWrites(async (batch) => {
      calls.push(batch.map((w) => (w.kind === 'event' ? `${w.run_id}:${w.event}` : `${w.run.run_id}:save`)));
      return batch.map((_, i): RunWriteResult => ({ ok: true, id: String(calls.length * 10 + i) }));
    });
    const first = [writes.add(() => event('a', 'one')), writes.add(() => event('b', 'one')), writes.add(() => event('a', 'two'))];
    expect(calls).toEqual([]);
    expect(await Promise.all(first)).toEqual([
      { ok: true, id: '10' },
      { ok: true, id: '11' },
      { ok: true, id: '12' },
    ]);
    expect(await writes.add(() => event('b', 'two'))).toEqual({ ok: true, id: '20' });
    expect(calls).toEqual([['a:one', 'b:one', 'a:two'], ['b:two']]);
  });

  it('makes each write when its batch goes out, so a save writes the newest state', async () => {
    const seen: string[] = [];
    const writes = new TurnWrites(async (batch) => {
      for (const w of batch) if (w.kind === 'event') seen.push(String((w.data as { n: number }).n));
      return batch.map((): RunWriteResult => ({ ok: true }));
    });
    let n = 1;
    const done = writes.add(() => ({ kind: 'event', run_id: 'a', event: 'x', data: { n } }));
    n = 2;
    await done;
    expect(seen).toEqual(['2']);
  });

  it('gives every write of a batch the error when the whole call fails, and never rejects', async () => {
    const boom = new Error('disk gone');
    const writes = new TurnWrites(() => Promise.reject(boom));
    expect(await Promise.all([writes.add(() => event('a', 'one')), writes.add(() => event('a', 'two'))])).toEqual([
      { ok: false, error: boom },
      { ok: false, error: boom },
    ]);
  });
});
