import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import type { TestConfigOptions } from '../helpers/gateway-config.js';
import { fakeGateway, type FakeGateway } from './fake-gateway.js';

/** What a suite of gateway-over-the-fake tests uses: the fake, and a gateway per test. */
export interface FakeSuite {
  /** The fake provider of the suite (started once, its records reset before each test). */
  readonly fake: FakeProvider;
  /** A gateway over the fake with these models (merged over the test config's), closed after the test. */
  withModels(models: TestConfigOptions['models'], extra?: Omit<TestConfigOptions, 'fakeUrl' | 'models'>): FakeGateway;
}

/** Registers the hooks of such a suite in the enclosing `describe` (or file). */
export function fakeSuite(): FakeSuite {
  let fake: FakeProvider | undefined;
  let current: FakeGateway | undefined;
  beforeAll(async () => {
    fake = await startFakeProvider();
  });
  afterAll(async () => {
    await fake?.close();
  });
  beforeEach(() => fake?.reset());
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return {
    get fake() {
      if (!fake) throw new Error('the fake provider starts in beforeAll');
      return fake;
    },
    withModels(models, extra = {}) {
      current = fakeGateway(this.fake, { ...extra, models });
      return current;
    },
  };
}
