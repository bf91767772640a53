import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { createOpenAiCompatibleAdapter } from '../../src/providers/openai-compatible/adapter.js';
import type { ProviderAdapter } from '../../src/providers/types.js';
import { failure, request } from './support.js';

let fake: FakeProvider;
let adapter: ProviderAdapter;

beforeAll(async () => {
  fake = await startFakeProvider();
  adapter = createOpenAiCompatibleAdapter({ name: 'fake', baseUrl: `${fake.url}/v1` });
});
afterAll(async () => {
  await adapter.close?.();
  await fake.close();
});
beforeEach(() => {
  fake.reset();
  fake.setLatency(0);
});

describe('fake provider', () => {
  it('records every attempt, failed ones included, with arrival time, model and fault', async () => {
    const before = Date.now();
    await failure(() => adapter.generate(request('fault:unavailable/m1')));
    await adapter.generate(request('m2'));
    expect(fake.attempts.map((a) => [a.model, a.fault])).toEqual([
      ['fault:unavailable/m1', 'unavailable'],
      ['m2', null],
    ]);
    expect(fake.attempts[0]!.at).toBeGreaterThanOrEqual(before);
  });

  it('fails the first n attempts per key with fail_times, then answers', async () => {
    for (let i = 0; i < 2; i++) await failure(() => adapter.generate(request('fault:fail_times_2/m')));
    expect((await adapter.generate(request('fault:fail_times_2/m'))).text).toContain('echo:');
  });

  it('keeps fail_once state separate per x-fake-key', async () => {
    const keyed = (key: string) => createOpenAiCompatibleAdapter({ name: 'k', baseUrl: `${fake.url}/v1`, headers: { 'x-fake-key': key } });
    const [a, b] = [keyed('a'), keyed('b')];
    await failure(() => a.generate(request('fault:fail_once/m')));
    await failure(() => b.generate(request('fault:fail_once/m')));
    expect((await a.generate(request('fault:fail_once/m'))).text).toContain('echo:');
    await a.close?.();
    await b.close?.();
  });

  it('flaps: down with 503 for the window from first sight, healthy afterwards', async () => {
    // The window is read from Date.now(): only the date is faked (sockets and timers stay real), so
    // the second call lands inside it and the third after it however long each call takes.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      expect(await failure(() => adapter.generate(request('fault:flap_300/m')))).toMatchObject({ status: 503 });
      vi.setSystemTime(Date.now() + 299);
      expect(await failure(() => adapter.generate(request('fault:flap_300/m')))).toMatchObject({ status: 503 });
      vi.setSystemTime(Date.now() + 1);
      expect((await adapter.generate(request('fault:flap_300/m'))).text).toContain('echo:');
    } finally {
      vi.useRealTimers();
    }
  });

  it('takes a model down and up with setDown', async () => {
    fake.setDown('gpt-x', true);
    expect(await failure(() => adapter.generate(request('gpt-x')))).toMatchObject({ status: 503 });
    fake.setDown('gpt-x', false);
    expect((await adapter.generate(request('gpt-x'))).text).toContain('echo:');
  });

  it('adds fixed latency globally and per request', async () => {
    fake.setLatency(120);
    let started = Date.now();
    await adapter.generate(request('m'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(115);
    fake.setLatency(0);
    started = Date.now();
    await adapter.generate(request('fault:latency_150/m'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);
  });

  it('answers 400 for an unknown fault so typos are visible', async () => {
    expect(await failure(() => adapter.generate(request('fault:rate_limt/m')))).toMatchObject({ kind: 'client_error', status: 400 });
  });

  it('lists models on GET /v1/models', async () => {
    const res = await fetch(`${fake.url}/v1/models`);
    expect(await res.json()).toMatchObject({ object: 'list', data: [{ id: 'fake-model' }] });
  });
});
