import { describe, expect, it } from 'vitest';
import { ADMIN_KEY, CLIENT_KEY, consoleSuite, signIn } from './browser.js';
import { nav } from './screenshots.js';

describe('console at phone width (390 px)', () => {
  const h = consoleSuite({
    width: 390,
    edit: (raw) => {
      raw.routing.tiers.M.model = [
        { model: 'medium_ai', weight: 80 },
        { model: 'fast_ai', weight: 20 },
      ];
    },
  });

  it('lays out Runs, a run graph, Sessions, Traffic and Config without the page scrolling sideways', async () => {
    const { page } = h;
    const res = await fetch(`${h.url}/workflow`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        workflow: { name: 'phone', linear_queue: [1, 2, 3, 4].map((i) => ({ id: `part_${i}`, prompt: `part ${i}` })), inline_queue: [{ id: 'join', prompt: '{{part_1}} {{part_2}} {{part_3}} {{part_4}}' }] },
        async: true,
      }),
    });
    const { run_id } = (await res.json()) as { run_id: string };
    await signIn(page, h.url, { admin: ADMIN_KEY, client: CLIENT_KEY });
    // Wide content (tables, the graph) scrolls inside its own box; the page itself never does.
    const overflow = () => page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');

    await nav(page, 'Runs');
    await page.locator(`tr[data-run="${run_id}"]`).waitFor();
    expect(await overflow()).toBe(0);
    await page.locator(`tr[data-run="${run_id}"] a`).click();
    await page.locator('button[data-task="join"][data-state="completed"]').waitFor();
    expect(await overflow()).toBe(0);
    await page.locator('button[data-task="join"]').click();
    await page.getByTestId('task-detail').waitFor();
    expect(await overflow()).toBe(0);

    for (const [link, ready] of [
      ['Sessions', 'Sessions, most recently active first'],
      ['Traffic', 'routing.tiers.M.model'],
      ['Config', 'Versions, newest first'],
    ] as const) {
      await nav(page, link);
      await page.getByText(ready, { exact: true }).first().waitFor();
      expect(await overflow(), link).toBe(0);
    }
  });
});
