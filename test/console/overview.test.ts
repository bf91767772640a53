import { describe, expect, it } from 'vitest';
import { CLIENT_KEY, consoleSuite, readAfterNow, signIn } from './browser.js';

describe('console: overview', () => {
  const h = consoleSuite();

  const chat = (category: 'L' | 'M') =>
    fetch(`${h.url}/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'hello there', category }),
    }).then((res) => res.status);

  it('shows live figures: requests made while the page is open appear in the cards and in their tier’s row without a reload', async () => {
    const { page } = h;
    await signIn(page, h.url);
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(await page.getByTestId('card-rps').textContent()).toContain('Requests / s');
    await page.getByText('Nothing yet in this window.').waitFor();

    expect(await chat('M')).toBe(200);
    expect(await chat('M')).toBe(200);
    expect(await chat('L')).toBe(200);
    // The page shows them at its next read (it polls every 2 s), which may be one made before the last chat.
    await readAfterNow(page, '/stats/timeseries');

    const m = page.locator('tr[data-group="M"]');
    await expect.poll(() => m.locator('td').first().textContent()).toBe('2');
    expect(await page.locator('tr[data-group="L"] td').first().textContent()).toBe('1');
    await expect.poll(() => page.getByTestId('card-rps').textContent()).toContain('3 requests');
    expect(await page.getByTestId('card-error-rate').textContent()).toContain('0 %');
    expect(await page.getByTestId('card-p95').textContent()).toMatch(/\d ms/);
    // The fake provider bills by its usage at the configured prices: a cost per hour shows.
    expect(await page.getByTestId('card-cost-hour').textContent()).toMatch(/\$\d/);
    // Charts are drawn (uPlot canvases), each labelled in words for screen readers.
    expect(await page.locator('figure.chart canvas').count()).toBeGreaterThanOrEqual(2);
    expect(await page.getByRole('img', { name: /^Latency, all: p50 \d/ }).count()).toBe(1);

    // By model: the calls each model made.
    await page.getByLabel('Model', { exact: true }).check();
    await page.locator('tr[data-group="medium_ai"]').waitFor();
  });

  it('fits a phone: no page-wide horizontal scroll at 390 px', async () => {
    const { page } = h;
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBe(0);
  });
});
