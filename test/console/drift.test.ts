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
    // Signed in by the test above; the Drift page reads GET /drift every 5 s after the previous read ended.
    const starts: number[] = [];
    let firstAnswered = Infinity;
    let firstStarted!: () => void;
    const first = new Promise<void>((resolve) => (firstStarted = resolve));
    let toggled!: () => void;
    const afterToggle = new Promise<void>((resolve) => (toggled = resolve));
    await page.route(/\/drift$/, async (route) => {
      const n = starts.push(Date.now());
      if (n === 1) {
        // The first read is held until the test has hidden and shown the tab: it is in flight then, however slow the machine.
        firstStarted();
        await afterToggle;
        firstAnswered = Date.now();
      }
      await route.continue();
    });
    await nav(page, 'Runs');
    await nav(page, 'Drift');
    await first;
    // The read is in flight (held): hide the tab and show it again, then let the read answer.
    await page.evaluate(`for (const state of ['hidden', 'visible']) {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
      document.dispatchEvent(new Event('visibilitychange'));
    }`);
    toggled();
    await new Promise((resolve) => setTimeout(resolve, 2500));
    // No second read started beside the first: any later read is the loop's next one, begun at least 5 s
    // after the first was answered (a lower bound, which a slow machine only makes easier to meet; before,
    // 'none within 2.5 s' could fail when the test itself was slow enough to reach the loop's next read).
    expect(Number.isFinite(firstAnswered)).toBe(true);
    for (const later of starts.slice(1)) expect(later - firstAnswered).toBeGreaterThanOrEqual(5000);
    await page.unroute(/\/drift$/);
  });
});

