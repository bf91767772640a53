import { describe, expect, it } from 'vitest';
import { ADMIN_KEY, consoleSuite, signIn } from './browser.js';
import { nav, screenshot } from './screenshots.js';

describe('console: traffic splitter and config versions', () => {
  const h = consoleSuite({
    edit: (raw) => {
      raw.routing.tiers.M.model = [
        { model: 'medium_ai', weight: 50 },
        { model: 'fast_ai', weight: 50 },
      ];
    },
  });

  const admin = async <T>(path: string): Promise<T> => (await fetch(`${h.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).json() as Promise<T>;

  it('moves a split slider to 30 %, previews the diff, applies it as a new version, then rolls back to the first hash', async () => {
    const { page } = h;
    const first = (await admin<{ version: { hash: string } }>('/admin/config')).version.hash;
    await signIn(page, h.url);
    await nav(page, 'Traffic');
    const split = page.locator('[data-split="routing.tiers.M.model"]');
    await split.waitFor();
    expect(await split.getByTestId('weight-medium_ai').textContent()).toBe('50 %');

    await split.getByLabel('medium_ai').fill('30');
    // The other arm takes the rest: the weights always sum to 100.
    await expect.poll(() => split.getByTestId('weight-fast_ai').textContent()).toBe('70 %');
    // The dry run's diff is previewed before anything changes.
    const preview = split.getByTestId('config-diff');
    await expect.poll(() => preview.locator('tr[data-path="routing.tiers.M.model.0.weight"]').textContent()).toMatch(/changed\s*50\s*30/);
    await screenshot(page, 'traffic-splitter');
    expect((await admin<{ version: { hash: string } }>('/admin/config')).version.hash).toBe(first);

    await split.getByRole('button', { name: 'Apply' }).click();
    await page.getByTestId('applied').waitFor();
    const second = (await admin<{ version: { hash: string } }>('/admin/config')).version.hash;
    expect(second).not.toBe(first);
    const doc = (await admin<{ document: { routing: { tiers: { M: { model: unknown } } } } }>('/admin/config')).document;
    expect(doc.routing.tiers.M.model).toEqual([
      { model: 'medium_ai', weight: 30 },
      { model: 'fast_ai', weight: 70 },
    ]);

    // The new version is in the list, active, and the diff against its parent shows the change.
    await nav(page, 'Config');
    const newest = page.locator(`tr[data-hash="${second}"]`);
    await expect.poll(() => newest.getAttribute('data-active')).toBe('true');
    expect(await page.locator(`tr[data-hash="${first}"]`).getAttribute('data-active')).toBe('false');
    const diff = page.locator('[aria-labelledby="diff-title"] [data-testid="config-diff"]');
    await expect.poll(() => diff.locator('tr[data-path="routing.tiers.M.model.1.weight"]').textContent()).toMatch(/changed\s*50\s*70/);
    await page.locator('#diff-title').scrollIntoViewIfNeeded();
    await screenshot(page, 'config-diff');

    // Roll back with one click and a confirmation: the first hash is active again.
    await page.locator(`tr[data-hash="${first}"]`).getByRole('button', { name: 'Roll back to this' }).click();
    const dialog = page.getByRole('dialog', { name: 'Roll back the config?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: /^Roll back to / }).click();
    await expect.poll(() => page.locator(`tr[data-hash="${first}"]`).getAttribute('data-active')).toBe('true');
    expect(await page.locator(`tr[data-hash="${first}"]`).textContent()).toContain('active');
    expect((await admin<{ version: { hash: string } }>('/admin/config')).version.hash).toBe(first);
  });

  it('shows validation problems at their paths from a dry run before anything is applied', async () => {
    const { page } = h;
    await nav(page, 'Config');
    const editor = page.getByLabel(/^Config JSON/);
    await editor.waitFor();
    const text = await editor.inputValue();
    const doc = JSON.parse(text) as { routing: { tiers: { M: { model: unknown } } } };
    doc.routing.tiers.M.model = 'no_such_model';
    await editor.fill(JSON.stringify(doc, null, 2));
    await page.getByRole('button', { name: 'Check' }).click();
    const problems = page.getByRole('list', { name: 'Problems' });
    await expect.poll(() => problems.textContent()).toMatch(/routing\.tiers\.M\.model/);
    expect(await page.getByRole('button', { name: 'Apply' }).isDisabled()).toBe(true);

    await editor.fill('{ "routing": ');
    await page.getByRole('button', { name: 'Check' }).click();
    await expect.poll(() => problems.textContent()).toMatch(/\(JSON\)/);
  });
});
