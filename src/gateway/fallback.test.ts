import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { testConfig } from '../../test/helpers/gateway-config.js';
import { requiredCapabilities, resolveChain, resolveModel } from './fallback.js';

describe('resolveChain', () => {
  it('expands fallbacks depth-first and transitively, without duplicates', () => {
    const { config } = testConfig({
      models: {
        primary: { provider: 'alpha', model: 'a', fallbacks: ['backup', 'big'] },
        backup: { provider: 'beta', model: 'b', fallbacks: ['imagen_like'] },
        imagen_like: { provider: 'beta', model: 'c', fallbacks: ['big'] },
      },
    });
    expect(resolveChain(config, 'primary').map((m) => m.key)).toEqual(['primary', 'backup', 'imagen_like', 'big']);
  });

  it("uses the request's fallbacks as given instead of the configured chain", () => {
    const { config } = testConfig();
    expect(resolveChain(config, 'primary', ['big', 'alpha/other-model']).map((m) => m.key)).toEqual(['primary', 'big', 'alpha/other-model']);
  });

  it('rejects unknown models with the path of each', () => {
    const { config } = testConfig();
    try {
      resolveChain(config, 'nope', ['backup', 'zzz/x']);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).type).toBe('validation_error');
      expect((err as AppError).details.map((d) => d.path)).toEqual(['model', 'fallbacks.1']);
    }
  });
});

describe('resolveModel', () => {
  it('treats <provider>/<id> as an ad-hoc model: text, vision and JSON, free, no fallbacks', () => {
    const { config } = testConfig();
    const m = resolveModel(config, 'alpha/some-new-model')!;
    expect(m).toMatchObject({ key: 'alpha/some-new-model', provider: 'alpha', model: 'some-new-model', fallbacks: [], adHoc: true });
    expect(m.capabilities).toEqual(['text', 'vision', 'json_output']);
    expect(m.pricing).toEqual({ input_per_million: 0, output_per_million: 0 });
  });

  it('prices an ad-hoc id that matches a configured model like that model', () => {
    const { config } = testConfig();
    expect(resolveModel(config, 'beta/big-model')!.pricing).toEqual(config.models.big!.pricing);
    expect(resolveModel(config, 'beta/big-model')!.fallbacks).toEqual([]);
  });

  it('knows nothing of unconfigured providers', () => {
    expect(resolveModel(testConfig().config, 'mystery/model')).toBeUndefined();
  });
});

describe('requiredCapabilities', () => {
  it('asks for vision when a message carries an image, and generation for media kinds', () => {
    expect(requiredCapabilities('text', [{ role: 'user', content: 'hi' }])).toEqual(['text']);
    expect(
      requiredCapabilities('text', [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AA' } }] }]),
    ).toEqual(['text', 'vision']);
    expect(requiredCapabilities('image', [])).toEqual(['image_generation']);
    expect(requiredCapabilities('video', [])).toEqual(['video_generation']);
  });
});
