import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/server-process.js';
import { CLIENT_KEY, consoleSuite, readAfterNow, signIn } from './browser.js';

describe('console: models and providers', () => {
  let providerModel: string;
  const h = consoleSuite({
    // The breaker stays open long enough to be seen (the test timings close it after 400 ms).
    edit: (raw) => {
      raw.circuit_breaker.reset_timeout_ms = 60_000;
      providerModel = raw.models.fast_ai.model;
    },
  });

  const ask = () =>
    fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fast_ai', messages: [{ role: 'user', content: 'hello' }] }),
    }).then((res) => res.status);

  it('a model whose provider fails turns red with its breaker state in words, and its provider row says so', async () => {
    const { page } = h;
    await signIn(page, h.url);
    await page.getByRole('link', { name: 'Models' }).click();
    const row = page.locator('tr[data-model="fast_ai"]');
    await expect.poll(() => row.getAttribute('data-breaker')).toBe('closed');
    expect(await row.textContent()).toContain('closed');

    h.fake.setDown(providerModel, true);
    await waitFor(async () => {
      await ask();
      const health = (await (await fetch(`${h.url}/health`)).json()) as { models: Record<string, { circuit: string }> };
      return health.models.fast_ai!.circuit === 'open' ? true : undefined;
    }, 'the fast_ai breaker to open');
    // The page shows it at its next read of /health (it polls every second), not one made before it opened.
    await readAfterNow(page, '/health');

    await expect.poll(() => row.getAttribute('data-breaker')).toBe('open');
    expect(await row.locator('.badge').textContent()).toContain('OPEN');
    // (globalThis: these tests are compiled without the DOM's types.)
    const background = await row.evaluate((el) => (globalThis as any).getComputedStyle(el).backgroundColor);
    expect(background).toBe('rgb(253, 232, 232)');
    const provider = page.locator(`tr[data-provider="${await row.locator('td').first().textContent()}"]`);
    expect(await provider.textContent()).toContain('breaker open: fast_ai');
    // Failures are counted by kind beside it.
    await expect.poll(() => row.textContent()).toMatch(/server_error \d+/);
  });

  it('the topology map shows the open model in red with its state in words, tiers to models to providers, fallbacks dashed', async () => {
    const { page } = h;
    await page.getByRole('link', { name: 'Topology' }).click();
    const node = page.locator('[data-node="model:fast_ai"]');
    await expect.poll(() => node.getAttribute('data-health')).toBe('bad');
    expect(await node.textContent()).toContain('breaker OPEN');
    expect(await node.locator('rect').evaluate((el) => (globalThis as any).getComputedStyle(el).fill)).toBe('rgb(253, 232, 232)');
    expect(await page.locator('path[data-from="tier:M"][data-to="model:medium_ai"]').count()).toBe(1);
    expect(await page.locator('path.edge-fallback[data-from="model:fast_ai"][data-to="model:medium_ai"]').count()).toBe(1);
    expect(await page.getByRole('img', { name: /breaker open: fast_ai/ }).count()).toBe(1);
    // Back up: once the provider answers again and the breaker closes, the node says so.
    h.fake.setDown(providerModel, false);
  });
});
