import { beforeEach } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { readingThrough, startedForTests } from '../helpers/for-tests.js';
import { pointShippedConfigAt, TEST_ENV } from '../helpers/gateway-config.js';
import { startHangingUpstream, type HangingUpstream } from './support.js';

/**
 * The shipped config pointed at the fake provider, plus three test models:
 * `broken` (the fake answers 500 every time, no fallback), `flaky` (500 once
 * per fake reset, then fine), `slow` (700 ms latency), `held` (an echo with 20 s timeouts, for tests that
 * hold the fake: the shipped config's short test timeouts would retry a held call on a loaded machine) and `hang` (an upstream that never answers and records when the
 * caller hangs up).
 */
export interface Fixture {
  t: TestApp;
  fake: FakeProvider;
  hang: HangingUpstream;
  close(): Promise<void>;
}

type Raw = Record<string, any>;

export async function startFixture(edit?: (raw: Raw) => void): Promise<Fixture> {
  const fake = await startFakeProvider();
  const hang = await startHangingUpstream();
  const t = await startTestApp({
    env: TEST_ENV,
    config: (raw) => {
      pointShippedConfigAt(raw, fake.url);
      raw.providers.hang = {
        type: 'openai_compatible',
        base_url: `${hang.url}/v1`,
        api_key: '${FAKE_KEY}',
        rate_limits: { requests_per_minute: 10_000, max_wait_ms: 1000 },
      };
      const text = ['text', 'json_output'];
      const model = (provider: string, id: string, timeouts: Raw = {}) => ({
        provider,
        model: id,
        capabilities: text,
        context_window: 100_000,
        pricing: { input_per_million: 1, output_per_million: 2 },
        fallbacks: [],
        timeouts,
      });
      raw.models.broken = model('openrouter', 'fault:server_error/broken-model');
      raw.models.flaky = model('openrouter', 'fault:fail_times_1/flaky-model');
      raw.models.slow = model('openrouter', 'fault:latency_700/slow-model', { first_byte_ms: 5000, response_ms: 5000 });
      raw.models.held = model('openrouter', 'held-model', { first_byte_ms: 20_000, response_ms: 20_000 });
      raw.models.hang = model('hang', 'hang-model', { first_byte_ms: 20_000, response_ms: 20_000, total_ms: 20_000 });
      edit?.(raw);
    },
  });
  return {
    t,
    fake,
    hang,
    close: async () => {
      await t.close();
      await hang.close();
      await fake.close();
    },
  };
}

/**
 * `startFixture(edit)` for every test of a file: started in beforeAll, closed
 * in afterAll and, with `reset`, the fake's records cleared before each test.
 * The returned fixture reads the running one.
 */
export function fixtureForTests(edit?: (raw: Raw) => void, opts: { reset?: boolean } = {}): Fixture {
  const get = startedForTests(() => startFixture(edit), 'the fixture');
  if (opts.reset) beforeEach(() => get().fake.reset());
  return Object.assign(readingThrough(get, ['t', 'fake', 'hang']), { close: () => get().close() });
}
