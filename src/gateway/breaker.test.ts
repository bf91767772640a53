import { afterEach, describe, expect, it, vi } from 'vitest';
import { sleep } from '../clock.js';
import { EventBus } from '../event-bus.js';
import type { AppEvents } from '../events.js';
import { ProviderError } from '../providers/provider-error.js';
import { testConfig } from '../../test/helpers/gateway-config.js';
import { CircuitOpenError, createBreakers, type ModelBreakers } from './breaker.js';

const config = testConfig({
  edit: (raw) => {
    raw.circuit_breaker = { error_threshold_percentage: 50, volume_threshold: 3, rolling_window_ms: 5000, reset_timeout_ms: 150 };
  },
}).config;

let breakers: ModelBreakers;
afterEach(() => breakers?.shutdown());

const serverError = () => Promise.reject(new ProviderError({ kind: 'server_error', status: 503, provider: 'alpha', message: 'down' }));
const badRequest = () => Promise.reject(new ProviderError({ kind: 'client_error', status: 400, provider: 'alpha', message: 'bad' }));

/** Runs `fn` through the model's breaker as the gateway does (enter, then its outcome); CircuitOpenError when it is open. */
async function fire<T>(model: string, fn: () => Promise<T>): Promise<T> {
  const call = breakers.enter(model);
  if (!call) throw new CircuitOpenError(model);
  try {
    const value = await fn();
    call.succeeded();
    return value;
  } catch (err) {
    call.failed(err);
    throw err;
  }
}

function setup() {
  const bus = new EventBus<AppEvents>();
  const changes: string[] = [];
  bus.on('breaker', (e) => changes.push(`${e.model}:${e.state}`));
  breakers = createBreakers({ config, bus });
  return { changes };
}

describe('model breakers', () => {
  it('open after enough failures of a class that trips the breaker, then refuse calls without running them', async () => {
    const { changes } = setup();
    for (let i = 0; i < 3; i++) await expect(fire('primary', serverError)).rejects.toBeInstanceOf(ProviderError);
    expect(breakers.state('primary')).toBe('open');
    expect(breakers.admits('primary')).toBe(false);
    let ran = false;
    await expect(fire('primary', async () => (ran = true))).rejects.toBeInstanceOf(CircuitOpenError);
    expect(ran).toBe(false);
    expect(changes).toEqual(['primary:open']);
    expect(breakers.state('backup')).toBe('closed');
  });

  it('ignore client errors, which say nothing about the health of the model', async () => {
    setup();
    for (let i = 0; i < 6; i++) await expect(fire('primary', badRequest)).rejects.toBeInstanceOf(ProviderError);
    expect(breakers.state('primary')).toBe('closed');
  });

  it('let one probe through when half-open and close when it succeeds', async () => {
    const { changes } = setup();
    for (let i = 0; i < 3; i++) await fire('primary', serverError).catch(() => undefined);
    await sleep(200);
    expect(breakers.state('primary')).toBe('half_open');
    expect(breakers.admits('primary')).toBe(true);
    let release!: () => void;
    const probe = fire('primary', () => new Promise<string>((r) => (release = () => r('ok'))));
    // Only one probe at a time.
    expect(breakers.admits('primary')).toBe(false);
    release();
    await expect(probe).resolves.toBe('ok');
    expect(breakers.state('primary')).toBe('closed');
    expect(changes).toEqual(['primary:open', 'primary:half_open', 'primary:closed']);
  });

  it('reopen when the half-open probe fails', async () => {
    setup();
    for (let i = 0; i < 3; i++) await fire('primary', serverError).catch(() => undefined);
    await sleep(200);
    await fire('primary', serverError).catch(() => undefined);
    expect(breakers.state('primary')).toBe('open');
  });

  it('count calls over the rolling window only: failures older than it are forgotten (by the clock, no timer)', async () => {
    vi.useFakeTimers();
    try {
      setup();
      for (let i = 0; i < 2; i++) breakers.enter('primary')!.failed(new ProviderError({ kind: 'server_error', provider: 'alpha', message: 'down' }));
      vi.advanceTimersByTime(5000);
      breakers.enter('primary')!.failed(new ProviderError({ kind: 'server_error', provider: 'alpha', message: 'down' }));
      // One failure in the window: below the volume threshold of 3.
      expect(breakers.state('primary')).toBe('closed');
      breakers.enter('primary')!.succeeded();
      breakers.enter('primary')!.failed(new ProviderError({ kind: 'server_error', provider: 'alpha', message: 'down' }));
      // 2 of 3 calls in the window failed: 67 % > 50 %.
      expect(breakers.state('primary')).toBe('open');
      expect(breakers.enter('primary')).toBeUndefined();
      expect(vi.getTimerCount()).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a neutral error of the half-open probe closes the circuit; a caller abort reopens it', async () => {
    const { changes } = setup();
    for (let i = 0; i < 3; i++) await fire('primary', serverError).catch(() => undefined);
    await sleep(200);
    breakers.enter('primary')!.failed(new ProviderError({ kind: 'client_error', status: 400, provider: 'alpha', message: 'bad' }));
    expect(breakers.state('primary')).toBe('closed');
    for (let i = 0; i < 3; i++) await fire('primary', serverError).catch(() => undefined);
    await sleep(200);
    breakers.enter('primary')!.failed(new Error('client left'));
    expect(breakers.state('primary')).toBe('open');
    expect(changes).toEqual(['primary:open', 'primary:half_open', 'primary:closed', 'primary:open', 'primary:half_open', 'primary:open']);
  });

  it('keep at most bounds.ad_hoc_models ad-hoc breakers, shutting down the least recently used and never a configured one', async () => {
    const bus = new EventBus<AppEvents>();
    const bounded = testConfig({
      edit: (raw) => {
        raw.circuit_breaker = { error_threshold_percentage: 50, volume_threshold: 1, rolling_window_ms: 5000, reset_timeout_ms: 60_000 };
        raw.bounds = { ad_hoc_models: 2 };
      },
    }).config;
    const configuredModel = Object.keys(bounded.models)[0]!;
    breakers = createBreakers({ config: bounded, bus });
    await fire(configuredModel, serverError).catch(() => undefined);
    await fire('alpha/probe-1', serverError).catch(() => undefined);
    expect(breakers.state('alpha/probe-1')).toBe('open');
    for (let i = 2; i <= 50; i++) await fire(`alpha/probe-${i}`, async () => 'ok');
    expect(breakers.size()).toEqual({ configured: 1, ad_hoc: 2 });
    // The open ad-hoc breaker was dropped (its timers with it): the name starts afresh; the configured one stays open.
    expect(breakers.state('alpha/probe-1')).toBe('closed');
    expect(breakers.state(configuredModel)).toBe('open');
    await expect(fire('alpha/probe-1', async () => 'again')).resolves.toBe('again');
  });
});
