import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { pointShippedConfigAt, TEST_ENV } from '../helpers/gateway-config.js';
import { startTestApp, type TestApp, type TestAppOptions } from '../helpers/app.js';
import { readingThrough, startedForTests } from '../helpers/for-tests.js';

/**
 * The console's browser-test harness: the real server (buildApp, real plugins and routes) with
 * every provider pointed at the fake provider, serving a fresh build of ui/ at /ui, and Debian's
 * chromium driven by playwright-core (no browser download). Test files under test/console/ are
 * skipped whole, with one line, where chromium is missing (test/helpers/services.ts), and fail
 * the run instead under REQUIRE_SERVICES.
 */

/** An admin key and a client key every console test server accepts. */
export const ADMIN_KEY = 'console-admin-key-0123456789';
export const CLIENT_KEY = 'console-client-key-0123456789';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
/** Flags for a quiet, reproducible headless chromium in a container (no sandbox: CI runs as root). */
const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? listFiles(path) : [path];
  });
}

/**
 * Builds ui/ once per content: into node_modules/.cache/console-ui/<hash of ui/ and the lockfile>,
 * reused by every test file and run until a source changes. Parallel test files may build at the
 * same time; each builds into its own temporary folder and the first rename wins.
 */
export async function consoleBuild(): Promise<string> {
  const hash = createHash('sha256');
  for (const file of [...listFiles('ui').sort(), 'package-lock.json']) {
    hash.update(relative('.', file)).update('\0').update(readFileSync(file)).update('\0');
  }
  const cache = join('node_modules', '.cache', 'console-ui');
  const dir = join(cache, hash.digest('hex').slice(0, 16));
  if (existsSync(join(dir, 'index.html'))) return dir;
  const outDir = mkdtempSync(join(tmpdir(), 'console-ui-'));
  await build({ configFile: 'ui/vite.config.ts', logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  mkdirSync(cache, { recursive: true });
  try {
    renameSync(outDir, dir);
  } catch (err) {
    // Another test file finished the same build first (or the cache is on another device): use what is there.
    if (!existsSync(join(dir, 'index.html'))) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      return outDir;
    }
    rmSync(outDir, { recursive: true, force: true });
  }
  return dir;
}

export interface ConsoleHarness {
  /** The server's base URL; the console is at `${url}/ui`. */
  url: string;
  server: TestApp;
  fake: FakeProvider;
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export interface ConsoleOptions extends TestAppOptions {
  /** Further changes to the config after it is pointed at the fake provider. */
  edit?: (raw: Record<string, any>) => void;
  /** The browser window's width in CSS pixels (default 1280; a phone is ~390). */
  width?: number;
}

/**
 * Starts the fake provider, the server (API_KEYS = CLIENT_KEY, ADMIN_API_KEYS = admin:ADMIN_KEY
 * unless given) with the built console, and chromium with a fresh profile and one page.
 */
async function startConsole(opts: ConsoleOptions = {}): Promise<ConsoleHarness> {
  const { edit, width, config: _config, ...appOptions } = opts;
  const uiDir = await consoleBuild();
  const fake = await startFakeProvider();
  const server = await startTestApp({
    apiKeys: [CLIENT_KEY],
    adminApiKeys: `admin:${ADMIN_KEY}`,
    env: TEST_ENV,
    uiDir,
    ...appOptions,
    config: (raw) => {
      pointShippedConfigAt(raw, fake.url);
      edit?.(raw);
    },
  });
  const profile = mkdtempSync(join(tmpdir(), 'console-chromium-'));
  let context: BrowserContext;
  try {
    // headless is off for Playwright because --headless=new is passed as Chromium's own flag.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: false,
      args: CHROMIUM_ARGS,
      viewport: { width: width ?? 1280, height: 900 },
    });
  } catch (err) {
    await server.close();
    await fake.close();
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  // A missing element fails its step well inside the test's own timeout, naming what was awaited.
  page.setDefaultTimeout(10_000);
  return {
    url: server.url,
    server,
    fake,
    context,
    page,
    close: async () => {
      await context.close();
      await server.close();
      await fake.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Opens the console and signs in with the given keys; resolves once the nav is shown. */
export async function signIn(page: Page, url: string, keys: { admin?: string; client?: string } = { admin: ADMIN_KEY }): Promise<void> {
  await page.goto(`${url}/ui/`);
  if (keys.admin) await page.getByLabel('Admin key', { exact: true }).fill(keys.admin);
  if (keys.client) await page.getByLabel(/^Client key/).fill(keys.client);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Console pages' }).waitFor();
}

/**
 * The console for one describe block: started before its tests, closed after them (startedForTests).
 * The harness returned reads the started one, so read it inside tests and hooks only.
 */
export function consoleSuite(opts: ConsoleOptions = {}): ConsoleHarness {
  const get = startedForTests(() => startConsole(opts), 'the console');
  return Object.assign(readingThrough(get, ['url', 'server', 'fake', 'context', 'page']), { close: () => get().close() });
}

/**
 * Resolves once the page has read `path` (a pathname, e.g. `/health`) with a request it started after
 * this call, and that answer has arrived. The console's pages poll (usePoll: every 1 to 5 s after the
 * previous read ended), so a change made on the server shows only after the page's next read; a test
 * that made a change awaits this before looking, instead of an expect.poll whose budget (1 s) may end
 * before the page's next read began. Bounded by the test's timeout.
 */
export async function readAfterNow(page: Page, path: string): Promise<void> {
  const since = Date.now();
  const res = await page.waitForResponse((r) => new URL(r.url()).pathname === path && r.request().timing().startTime >= since, { timeout: 0 });
  await res.finished();
}
