import { expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import type { Stores } from '../../src/store/types.js';
import { pair } from './fixtures.js';

const at = (minute: number) => new Date(Date.UTC(2025, 0, 1, 0, minute)).toISOString();

/** What every driver's session listing must do (memory, SQLite, Redis): GET /sessions. */
export function sessionListContract(open: () => Promise<Stores> | Stores): void {
  it('lists sessions most recently updated first with stamps, cost and turn count, one page at a time', async () => {
    const { sessions } = await open();
    await sessions.appendTurns('old', pair(1, at(1)));
    await sessions.appendTurns('new', pair(1, at(3)));
    await sessions.appendTurns('mid', pair(1, at(2)));
    // A later turn moves a session to the front.
    await sessions.appendTurns('old', pair(2, at(4)));

    const first = await sessions.list({ limit: 2 });
    expect(first.sessions).toEqual([
      { session_id: 'old', created_at: at(1), updated_at: at(4), cost_usd: expect.closeTo(0.002, 9), turns: 4 },
      { session_id: 'new', created_at: at(3), updated_at: at(3), cost_usd: expect.closeTo(0.001, 9), turns: 2 },
    ]);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await sessions.list({ limit: 2, cursor: first.next_cursor! });
    expect(second.sessions.map((s) => s.session_id)).toEqual(['mid']);
    expect(second.next_cursor).toBeNull();
  });

  it('pages sessions updated at the same time by id, each exactly once', async () => {
    const { sessions } = await open();
    for (const id of ['a', 'b', 'c', 'd', 'e']) await sessions.appendTurns(id, pair(1, at(5)));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await sessions.list({ limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.sessions.map((s) => s.session_id));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(['e', 'd', 'c', 'b', 'a']);
  });

  it('leaves deleted sessions out of the list', async () => {
    const { sessions } = await open();
    await sessions.appendTurns('keep', pair(1, at(1)));
    await sessions.appendTurns('drop', pair(1, at(2)));
    await sessions.delete('drop');
    expect((await sessions.list({ limit: 10 })).sessions.map((s) => s.session_id)).toEqual(['keep']);
  });

  it('refuses a cursor it did not issue with a 400 naming cursor', async () => {
    const { sessions } = await open();
    const err = await sessions.list({ limit: 10, cursor: 'not-a-cursor' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).details).toEqual([{ path: 'cursor', message: expect.stringContaining('next_cursor') }]);
  });
}
