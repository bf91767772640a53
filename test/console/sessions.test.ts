import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, CLIENT_KEY, signIn, startConsole, type ConsoleHarness } from './browser.js';
import { nav } from './screenshots.js';

describe('console: sessions', () => {
  let h: ConsoleHarness;
  beforeAll(async () => {
    h = await startConsole();
  });
  afterAll(async () => h?.close());

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
});
