import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/server-process.js';
import { ADMIN_KEY, CLIENT_KEY, consoleSuite, signIn } from './browser.js';
import { nav } from './screenshots.js';

describe('console: canaries and shadows on the Traffic page', () => {
  const h = consoleSuite({
    edit: (raw) => {
      // A canary whose model always fails: its guard rail rolls it back after a few samples.
      raw.models.medium_ai_v2 = { ...raw.models.medium_ai, model: 'fault:server_error/medium-v2', fallbacks: ['medium_ai'] };
      raw.routing.tiers.M.model = [
        { model: 'medium_ai', weight: 100 },
        { model: 'medium_ai_v2', weight: 1, canary: { ramp: [50, 100], step_after_requests: 1000, guard: { max_error_rate: 0.1, min_samples: 3 } } },
      ];
      raw.routing.tiers.L.shadow = { model: 'fast_ai', sample_rate: 1 };
    },
  });

  const post = (path: string, body: unknown) =>
    fetch(`${h.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const experiment = async (id: string) =>
    (await (await fetch(`${h.url}/admin/experiments/${id}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).json()) as Record<string, any>;

  it('shows the rolled-back canary with its ramp, guard rails and the figures that decided, and the shadow comparison', async () => {
    await waitFor(async () => {
      const i = Math.random().toString(36).slice(2);
      await post('/chat', { message: `canary ${i}`, category: 'M', session_id: `c-${i}` });
      return (await experiment('routing.tiers.M.model')).decision?.config_version ? true : undefined;
    }, 'the canary to be rolled back');
    expect((await post('/chat', { message: 'shadowed question', category: 'L' })).status).toBe(200);
    await waitFor(async () => ((await experiment('routing.tiers.L.shadow')).pairs >= 1 ? true : undefined), 'a shadow pair');

    const { page } = h;
    await signIn(page, h.url);
    await nav(page, 'Traffic');
    const canary = page.locator('[data-canary="routing.tiers.M.model"]');
    await expect.poll(() => canary.getAttribute('data-state')).toBe('rolled_back');
    const text = (await canary.textContent()) ?? '';
    expect(text).toContain('rolled back');
    expect(text).toMatch(/Rolled back at .*error rate/);
    expect(text).toContain('max_error_rate 0.1');
    expect(text).toContain('canary_error_rate');
    expect(await canary.getByRole('list', { name: 'Ramp' }).textContent()).toMatch(/50 %.*100 %/);
    const shadow = page.locator('tr[data-shadow="routing.tiers.L.shadow"]');
    await expect.poll(() => shadow.locator('td').nth(2).textContent()).toMatch(/^[1-9]/);
    expect(await shadow.textContent()).toContain('token-set Jaccard');
    await shadow.getByRole('button', { name: 'Show recent' }).click();
    const pairs = page.getByTestId('pairs-routing.tiers.L.shadow');
    await expect.poll(() => pairs.locator('tbody tr').first().textContent()).toMatch(/ms \/ \d+ ms.*\d\.\d\d$/);
  });
});
