import { beforeEach } from 'vitest';
import { startFakeProvider, type FakeProvider, type FakeProviderOptions } from '../../scripts/fake-provider/server.js';
import { startTestApp, type TestApp, type TestAppOptions } from './app.js';
import { readingThrough, startedForTests } from './for-tests.js';
import { pointShippedConfigAt, TEST_ENV } from './gateway-config.js';

type Raw = Record<string, any>;

/** A whole server whose providers are the fake provider, and that fake. */
export interface FakeApp {
  fake: FakeProvider;
  t: TestApp;
  /** Closes the server, then the fake. */
  close(): Promise<void>;
}

export interface FakeAppOptions extends Omit<TestAppOptions, 'config'> {
  /** Edits the shipped config after it was pointed at the fake (whose URL it is given). */
  config?: (raw: Raw, fakeUrl: string) => void;
  /** Options of the fake provider (latency...). */
  fake?: FakeProviderOptions;
}

/**
 * Starts the fake provider and the whole server (startTestApp) with the shipped
 * config pointed at it (pointShippedConfigAt) and the test providers' keys
 * (TEST_ENV, unless `env` is given), then `config` on top.
 */
export async function startFakeApp(opts: FakeAppOptions = {}): Promise<FakeApp> {
  const { config, fake: fakeOptions, ...rest } = opts;
  const fake = await startFakeProvider(fakeOptions);
  try {
    const t = await startTestApp({
      env: TEST_ENV,
      ...rest,
      config: (raw) => {
        pointShippedConfigAt(raw, fake.url);
        config?.(raw, fake.url);
      },
    });
    return {
      fake,
      t,
      close: async () => {
        await t.close();
        await fake.close();
      },
    };
  } catch (err) {
    await fake.close();
    throw err;
  }
}

/**
 * `startFakeApp` for every test of a file (or `describe`): starts in beforeAll,
 * closes in afterAll and, with `reset` (default), clears the fake's records
 * before each test. The returned object reads the running pair.
 */
export function fakeAppForTests(opts: FakeAppOptions & { reset?: boolean } = {}): FakeApp {
  const { reset = true, ...rest } = opts;
  const get = startedForTests(() => startFakeApp(rest), 'the server');
  if (reset) beforeEach(() => get().fake.reset());
  return Object.assign(readingThrough(get, ['fake', 't']), { close: () => get().close() });
}
