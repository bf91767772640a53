import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { parseConfig } from '../../src/config/load.js';
import { closeAdapters, createAdapters } from '../../src/providers/registry.js';
import { request } from './support.js';

const raw = JSON.parse(readFileSync('orchestration_config.json', 'utf8')) as Record<string, unknown>;
let fake: FakeProvider;

beforeAll(async () => {
  fake = await startFakeProvider();
});
afterAll(() => fake.close());

describe('provider registry', () => {
  it('simulates every provider without a key, under the provider name', async () => {
    const adapters = createAdapters(parseConfig(raw, {}));
    expect(Object.keys(adapters).sort()).toEqual(Object.keys((raw as { providers: object }).providers).sort());
    for (const [name, adapter] of Object.entries(adapters)) {
      expect(adapter.name).toBe(name);
      expect(adapter.simulated).toBe(true);
    }
    expect((await adapters.openrouter!.generate(request('m'))).simulated).toBe(true);
    await closeAdapters(adapters);
  });

  it('makes live adapters for providers with a key, speaking to their base URL with their headers', async () => {
    const env = { OPENROUTER_API_KEY: 'or-key', OPENROUTER_BASE_URL: `${fake.url}/v1`, GOOGLE_AI_API_KEY: 'g-key', GOOGLE_AI_BASE_URL: `${fake.url}/v1beta` };
    const adapters = createAdapters(parseConfig(raw, env), { veoPollMs: 5 });
    expect(adapters.openrouter!.simulated).toBe(false);
    expect(adapters.google_ai!.simulated).toBe(false);
    expect(adapters.openai!.simulated).toBe(true);

    const text = await adapters.openrouter!.generate(request('meta-llama/llama-3.3-70b-instruct'));
    expect(text).toMatchObject({ text: 'echo: hello from the test', simulated: false });
    expect(fake.attempts.at(-1)!.headers).toMatchObject({ authorization: 'Bearer or-key', 'x-title': 'Master Orchestrator' });

    const video = await adapters.google_ai!.generate(request('veo-3.1-generate-preview', { kind: 'video' }));
    expect(video.media[0]).toMatchObject({ type: 'video', mime_type: 'video/mp4' });
    await closeAdapters(adapters);
  });
});
