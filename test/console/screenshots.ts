import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

/**
 * Where the console's tests put their screenshots: docs/ (README shows them) when
 * UPDATE_SCREENSHOTS=1, else a temporary folder — a normal test run still takes them (the page
 * must render) but leaves the committed PNGs alone.
 */
const DIR = process.env.UPDATE_SCREENSHOTS === '1' ? 'docs' : join(tmpdir(), 'console-screenshots');

/** Saves a PNG of the page (its visible 1280-wide window) as `<dir>/console-<name>.png`; returns the path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(DIR, { recursive: true });
  const path = join(DIR, `console-${name}.png`);
  await page.screenshot({ path, fullPage: false, animations: 'disabled', caret: 'hide' });
  return path;
}

/** Follows a link of the console's nav (page links elsewhere may share its name). */
export const nav = (page: Page, name: string): Promise<void> =>
  page.getByRole('navigation', { name: 'Console pages' }).getByRole('link', { name, exact: true }).click();
