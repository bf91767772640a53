import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { AppError } from '../errors.js';
import { chooseByWindow, chooseForPrompt } from './model-window.js';

const { config } = loadConfig({}, 'orchestration_config.json');

describe('chooseByWindow', () => {
  it('keeps the preferred model when the input fits', () => {
    expect(chooseByWindow(config, 'medium_ai', 50_000)).toEqual({ model: 'medium_ai', escalated: false });
  });

  it('escalates 100k → 200k → 900k, preferring the strongest model among equal windows', () => {
    expect(chooseByWindow(config, 'medium_ai', 150_000)).toEqual({ model: 'thinking_ai', escalated: true });
    expect(chooseByWindow(config, 'medium_ai', 500_000)).toEqual({ model: 'long_context_ai', escalated: true });
  });

  it('keeps vision requests on vision models', () => {
    const choice = chooseByWindow(config, 'image_generation_alt', 300_000, ['text', 'vision']);
    expect(config.models[choice.model]!.capabilities).toContain('vision');
    expect(config.models[choice.model]!.context_window).toBe(900_000);
  });

  it('answers 400 with the input size and the largest window when nothing fits', () => {
    let err: unknown;
    try {
      chooseByWindow(config, 'medium_ai', 2_000_000);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(400);
    expect((err as AppError).message).toMatch(/2000000 tokens.*900000 tokens/);
  });
});

describe('chooseForPrompt', () => {
  const size = (bound: number, exact: number) => {
    let counted = 0;
    return { size: { bound, exact: async () => (counted++, exact) }, counted: () => counted };
  };

  it('decides on the upper bound when it fits, without counting', async () => {
    const s = size(50_000, 12_000);
    expect(await chooseForPrompt(config, 'medium_ai', s.size)).toEqual({ model: 'medium_ai', escalated: false });
    expect(s.counted()).toBe(0);
  });

  it('counts exactly when the bound is over the window: the same choice as chooseByWindow on the exact count', async () => {
    const fits = size(150_000, 60_000);
    expect(await chooseForPrompt(config, 'medium_ai', fits.size)).toEqual(chooseByWindow(config, 'medium_ai', 60_000));
    expect(fits.counted()).toBe(1);
    const over = size(600_000, 150_000);
    expect(await chooseForPrompt(config, 'medium_ai', over.size)).toEqual(chooseByWindow(config, 'medium_ai', 150_000));
  });
});
