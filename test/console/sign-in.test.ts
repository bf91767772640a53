import { describe, expect, it } from 'vitest';
import { ADMIN_KEY, CLIENT_KEY, consoleSuite, signIn } from './browser.js';

describe('console sign-in', () => {
  const h = consoleSuite();

  it('refuses a wrong key with the server’s own message, then signs in with the admin key and shows the pages', async () => {
    const { page } = h;
    await page.goto(`${h.url}/ui/`);
    await page.getByLabel('Admin key', { exact: true }).fill('not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/401 unauthorized: invalid admin key/);

    await signIn(page, h.url, { admin: ADMIN_KEY });
    expect(await page.getByTestId('role').textContent()).toBe('admin');
    // The key stays in this tab's session storage, never in the address.
    expect(page.url()).not.toContain(ADMIN_KEY);
    expect(await page.evaluate("sessionStorage.getItem('mo.console.keys')")).toContain(ADMIN_KEY);
    await page.getByRole('link', { name: 'Models' }).click();
    await page.getByRole('heading', { name: 'Models and providers' }).waitFor();
    expect(await page.getByRole('link', { name: 'Models' }).getAttribute('aria-current')).toBe('page');
  });

  it('a deep link loads the app (the server answers index.html for /ui/*) and a reload keeps the session', async () => {
    const { page } = h;
    await page.goto(`${h.url}/ui/models`);
    await page.getByRole('heading', { name: 'Models and providers' }).waitFor();
    await page.locator('tr[data-model="fast_ai"]').waitFor();
  });

  it('works from the keyboard: sign in with Enter, skip to content, tab through the nav with the focus shown', async () => {
    const { page } = h;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin key', { exact: true }).focus();
    await page.keyboard.type(ADMIN_KEY);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Console pages' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to content');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Overview');
    // The focused link shows an outline (the :focus-visible rule), not just a colour change.
    expect(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle')).toBe('solid');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Models and providers' }).waitFor();
  });

  it('a client key alone gives the read-only console', async () => {
    const { page } = h;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, h.url, { client: CLIENT_KEY });
    expect(await page.getByTestId('role').textContent()).toBe('read-only');
    // The client key reads what it may: the overview's figures, the models.
    await page.getByTestId('card-rps').waitFor();
    await page.getByRole('link', { name: 'Models' }).click();
    await page.locator('tr[data-model="fast_ai"]').waitFor();
  });
});
