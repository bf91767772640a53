import { expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import type { RunSpec, Stores } from '../../src/store/types.js';
import { run } from './fixtures.js';

const spec = (name: string): RunSpec => ({
  workflow: { name, inputs: {}, linear_queue: [{ id: 'a', prompt: 'x', type: 'text', optional: false }], inline_queue: [] },
  goal: name,
  request_id: 'req-1',
  accepted_at: 0,
  deadline: 1000,
});
const at = (minute: number) => new Date(Date.UTC(2025, 0, 1, 0, minute)).toISOString();

/** What every driver's run store and event log must do (memory, SQLite, Redis). */
export function runLogContract(open: () => Promise<Stores> | Stores): void {
  it('writes a run with its spec, lists unfinished runs oldest first, and forgets them once final', async () => {
    const { runs } = await open();
    await runs.create(run('u1', at(1), { status: 'queued' }), spec('one'));
    await runs.create(run('u2', at(2), { status: 'running' }), spec('two'));
    await runs.create(run('u3', at(3), { status: 'completed' }), spec('three'));
    expect((await runs.spec('u2'))?.goal).toBe('two');
    expect(await runs.spec('nope')).toBeNull();
    expect((await runs.unfinished(10)).filter((id) => id.startsWith('u'))).toEqual(['u1', 'u2']);
    await runs.save(run('u1', at(1), { status: 'completed' }));
    expect((await runs.unfinished(10)).filter((id) => id.startsWith('u'))).toEqual(['u2']);
    // A save keeps the spec.
    expect((await runs.spec('u1'))?.goal).toBe('one');
  });

  it('saves a final record with its webhook messages together: the outbox holds them once, however often it is saved', async () => {
    const { runs, outbox } = await open();
    const id = `o-${Math.random()}`;
    await runs.create(run(id, at(4), { status: 'running' }), spec('outboxed'));
    const message = { id: `msg_${id}`, run_id: id, event: 'run.completed' as const, url: 'https://example.com/hook', shown_url: 'https://example.com', payload: '{}', created_ms: 1 };
    await runs.save(run(id, at(4), { status: 'completed' }), [message]);
    await runs.save(run(id, at(4), { status: 'completed' }), [message]);
    expect((await runs.get(id))?.status).toBe('completed');
    const claimed = (await outbox.claim(10, 100, 1_000)).filter((m) => m.run_id === id);
    expect(claimed.map((m) => ({ id: m.id, payload: m.payload, attempts: m.attempts }))).toEqual([{ id: message.id, payload: '{}', attempts: 0 }]);
  });

  it('lists runs newest first with filters and a cursor that never repeats or skips a run', async () => {
    const { runs } = await open();
    const session = `s-${Math.random()}`;
    for (let i = 0; i < 7; i++) {
      await runs.create(run(`l${i}`, at(10 + Math.floor(i / 2)), { status: i % 2 ? 'failed' : 'completed', session_id: session, workflow: i < 5 ? 'wf_a' : 'wf_b' }), spec('x'));
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await runs.list({ session_id: session, limit: 3, cursor });
      seen.push(...page.runs.map((r) => r.run_id));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(['l6', 'l5', 'l4', 'l3', 'l2', 'l1', 'l0']);
    expect((await runs.list({ session_id: session, status: 'failed', limit: 10 })).runs.map((r) => r.run_id)).toEqual(['l5', 'l3', 'l1']);
    expect((await runs.list({ session_id: session, workflow: 'wf_b', limit: 10 })).runs.map((r) => r.run_id)).toEqual(['l6', 'l5']);
    const window = await runs.list({ session_id: session, since: at(11), until: at(13), limit: 10 });
    expect(window.runs.map((r) => r.run_id)).toEqual(['l5', 'l4', 'l3', 'l2']);
    expect(window.next_cursor).toBeNull();
    await expect(runs.list({ limit: 3, cursor: 'garbage' })).rejects.toMatchObject({ type: 'validation_error', details: [{ path: 'cursor' }] });
    await expect(runs.list({ limit: 3, since: 'yesterday' })).rejects.toBeInstanceOf(AppError);
  });

  it('keeps each run’s events in order and reads them after any id, exactly once', async () => {
    const { runs, events } = await open();
    await runs.create(run('e1', at(20), { status: 'queued' }), spec('e'));
    let woke = 0;
    const stop = events.watch('e1', () => woke++);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await events.append('e1', i === 4 ? 'completed' : 'task_started', { n: i }));
    const all = await events.read('e1', null, 100);
    expect(all.map((e) => e.id)).toEqual(ids);
    expect(all.map((e) => (e.data as { n: number }).n)).toEqual([0, 1, 2, 3, 4]);
    expect(all.at(-1)!.event).toBe('completed');
    expect((await events.read('e1', ids[1]!, 2)).map((e) => e.id)).toEqual([ids[2], ids[3]]);
    expect(await events.read('e1', ids[4]!, 10)).toEqual([]);
    await expect(events.read('e1', 'not-an-id', 10)).rejects.toMatchObject({ type: 'validation_error', details: [{ path: 'last-event-id' }] });
    // Watchers are woken (to read again), not handed events: a wake-up may cover several appends.
    await expect.poll(() => woke).toBeGreaterThan(0);
    const before = woke;
    await events.append('e1', 'late', { n: 5 });
    await expect.poll(() => woke).toBeGreaterThan(before);
    stop();
  });

  it('writes a batch of runs’ saves and events (writeRuns, where the driver has it) as save and append would, in order; a write that fails fails alone', async () => {
    const stores = await open();
    if (!stores.writeRuns) return;
    const { runs, events, outbox } = stores;
    await runs.create(run('b1', at(30), { status: 'queued' }), spec('b1'));
    await runs.create(run('b2', at(31), { status: 'queued' }), spec('b2'));
    let woke = 0;
    const stop = events.watch('b2', () => woke++);
    const message = { id: 'msg_b2', run_id: 'b2', event: 'run.completed' as const, url: 'https://example.com/hook', shown_url: 'https://example.com', payload: '{}', created_ms: 1 };
    const results = await stores.writeRuns([
      { kind: 'save', run: run('b1', at(30), { status: 'running' }) },
      { kind: 'event', run_id: 'b1', event: 'task_started', data: { n: 1 } },
      { kind: 'event', run_id: 'b2', event: 'task_started', data: { n: 2 } },
      { kind: 'save', run: run('b2', at(31), { status: 'completed' }), outbox: [message] },
      { kind: 'event', run_id: 'b2', event: 'completed', data: { n: 3 } },
      { kind: 'create', run: run('b3', at(32), { status: 'queued' }), spec: spec('b3') },
      { kind: 'event', run_id: 'b3', event: 'run_queued', data: { n: 4 } },
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true, true, true, true]);
    expect((await runs.spec('b3'))?.goal).toBe('b3');
    expect((await runs.unfinished(10)).filter((id) => id.startsWith('b'))).toEqual(['b1', 'b3']);
    expect((await events.read('b3', null, 10)).map((e) => e.event)).toEqual(['run_queued']);
    expect((await runs.get('b1'))?.status).toBe('running');
    expect((await runs.get('b2'))?.status).toBe('completed');
    expect((await runs.spec('b2'))?.goal).toBe('b2');
    const b2 = await events.read('b2', null, 10);
    expect(b2.map((e) => [e.id, e.event, e.data])).toEqual([
      [results[2]!.ok && results[2]!.id, 'task_started', { n: 2 }],
      [results[4]!.ok && results[4]!.id, 'completed', { n: 3 }],
    ]);
    expect((await events.read('b1', null, 10)).map((e) => e.event)).toEqual(['task_started']);
    expect((await outbox.claim(10, 100, 1_000)).filter((m) => m.run_id === 'b2').map((m) => m.id)).toEqual(['msg_b2']);
    await expect.poll(() => woke).toBeGreaterThan(0);
    stop();

    // An event of a run the store does not hold cannot be written: it fails, the writes beside it do not.
    const mixed = await stores.writeRuns([
      { kind: 'event', run_id: 'b1', event: 'before', data: {} },
      { kind: 'event', run_id: 'no-such-run', event: 'orphan', data: {} },
      { kind: 'save', run: run('b1', at(30), { status: 'completed' }) },
    ]);
    expect(mixed.map((r) => r.ok)).toEqual([true, false, true]);
    expect((await runs.get('b1'))?.status).toBe('completed');
    expect((await events.read('b1', null, 10)).map((e) => e.event)).toEqual(['task_started', 'before']);
  });
}
