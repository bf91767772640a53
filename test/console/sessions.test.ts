import { describe, expect, it } from 'vitest';
import { ADMIN_KEY, CLIENT_KEY, consoleSuite, signIn } from './browser.js';
import { nav } from './screenshots.js';

describe('console: sessions', () => {
  const h = consoleSuite();

  const chat = (session: string, message: string) =>
    fetch(`${h.url}/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message, session_id: session, category: 'M' }),
    }).then((res) => res.status);

  it('browses sessions with their turns and deletes one after a confirmation', async () => {
    expect(await chat('console-older', 'first question')).toBe(200);
    expect(await chat('console-newer', 'second question')).toBe(200);
    const { page } = h;
    await signIn(page, h.url, { admin: ADMIN_KEY, client: CLIENT_KEY });
    await nav(page, 'Sessions');
    // Most recently active first.
    await page.locator('tr[data-session="console-older"]').waitFor();
    const order = async () => Promise.all((await page.locator('tr[data-session]').all()).map((row) => row.getAttribute('data-session')));
    expect(await order()).toEqual(['console-newer', 'console-older']);

    const older = page.locator('tr[data-session="console-older"]');
    expect(await older.textContent()).toContain('2');
    await older.getByRole('button', { name: 'Show turns' }).click();
    const turns = page.getByRole('region', { name: /Turns of console-older/ });
    await expect.poll(() => turns.textContent()).toMatch(/first question[\s\S]*echo:/);

    await older.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this session?' });
    await dialog.getByRole('button', { name: 'Delete session' }).click();
    await page.getByRole('status').filter({ hasText: 'Deleted session console-older' }).waitFor();
    await expect.poll(order).toEqual(['console-newer']);
    const gone = await fetch(`${h.url}/session/console-older`, { headers: { authorization: `Bearer ${CLIENT_KEY}` } });
    expect(gone.status).toBe(404);
  });
  it('pages through the sessions: 20 a page, Older to the next page, Newer back', async () => {
    const ids = Array.from({ length: 21 }, (_, i) => `pager-${String(i).padStart(2, '0')}`);
    for (const id of ids) {
      await h.server.app.ctx.stores.sessions.appendTurns(id, [
        { role: 'user', content: id, category: 'L', model_used: null, run_id: null, request_id: null, cost_usd: 0, created_at: new Date().toISOString() },
      ]);
    }
    const { page } = h;
    // Signed in by the test above; leave and come back so the list is read again.
    await nav(page, 'Runs');
    await nav(page, 'Sessions');
    const pager = page.getByRole('navigation', { name: 'Session pages' });
    const rows = async () => Promise.all((await page.locator('tr[data-session]').all()).map((row) => row.getAttribute('data-session')));
    await expect.poll(async () => (await rows()).length).toBe(20);
    const first = await rows();
    expect(await pager.textContent()).toContain('page 1');
    expect(await pager.getByRole('button', { name: 'Newer' }).isDisabled()).toBe(true);

    await pager.getByRole('button', { name: 'Older' }).click();
    await expect.poll(() => pager.textContent()).toContain('page 2');
    await expect.poll(async () => (await rows()).some((id) => first.includes(id))).toBe(false);
    const second = await rows();
    expect([...first, ...second].filter((id) => id!.startsWith('pager-')).sort()).toEqual(ids);
    expect(await pager.getByRole('button', { name: 'Older' }).isDisabled()).toBe(true);

    await pager.getByRole('button', { name: 'Newer' }).click();
    await expect.poll(() => pager.textContent()).toContain('page 1');
    await expect.poll(rows).toEqual(first);
  });
});
