import { describe, expect, it } from 'vitest';
import { ADMIN_KEY, CLIENT_KEY, consoleSuite, signIn } from './browser.js';
import { nav } from './screenshots.js';

describe('console: drift', () => {
  const h = consoleSuite();

  it('shows every series GET /drift returns, with its state in words and its windows', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${h.url}/chat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ message: `drift question ${i}`, category: 'M' }),
      });
      expect(res.status).toBe(200);
    }
    const api = (await (await fetch(`${h.url}/drift`, { headers: { authorization: `Bearer ${CLIENT_KEY}` } })).json()) as {
      series: { subject: string; metric: string; state: string }[];
    };
    const model = api.series.find((s) => s.subject.startsWith('model:') && s.metric === 'latency_p50_ms');
    expect(model, JSON.stringify(api.series.map((s) => `${s.subject}/${s.metric}`))).toBeDefined();

    const { page } = h;
    await signIn(page, h.url, { admin: ADMIN_KEY, client: CLIENT_KEY });
    await nav(page, 'Drift');
    const row = page.locator(`tr[data-series="${model!.subject}/${model!.metric}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-state')).toBe(model!.state);
    const text = (await row.textContent()) ?? '';
    // The state is a word, not only a colour; a baseline still being learnt says so, with its sample counts.
    expect(text).toContain(model!.state);
    expect(text).toMatch(/learning|\d/);
    expect(text).toMatch(/samples/);
    // As many rows as series.
    await expect.poll(() => page.locator('tr[data-series]').count()).toBe(api.series.length);
  });

  it('polls once: a tab hidden and shown again while a read is in flight does not start a second poll loop', async () => {
    const { page } = h;
    // Signed in by the test above; the Drift page reads GET /drift every 5 s.
    let started = 0;
    await page.route(/\/drift$/, async (route) => {
      started++;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await route.continue();
    });
    await nav(page, 'Runs');
    await nav(page, 'Drift');
    await expect.poll(() => started).toBe(1);
    // The read is in flight (held 1 s): hide the tab and show it again.
    await page.evaluate(`for (const state of ['hidden', 'visible']) {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
      document.dispatchEvent(new Event('visibilitychange'));
    }`);
    // The next read is due 5 s after this one ends; none may start before.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(started).toBe(1);
    await page.unroute(/\/drift$/);
  });
});

