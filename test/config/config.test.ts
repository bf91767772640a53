import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/load.js';
import { renderConfigJsonSchema } from '../../src/config/json-schema.js';
import { fallbackChain } from '../../src/config/chain.js';

const shipped = (): Record<string, any> => JSON.parse(readFileSync('orchestration_config.json', 'utf8'));

/** Parses a mutated copy of the shipped config and returns its problems as `path: message` lines. */
function problemsOf(mutate: (c: Record<string, any>) => void, env: NodeJS.ProcessEnv = {}): string[] {
  const raw = shipped();
  mutate(raw);
  try {
    parseConfig(raw, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

describe('shipped configuration', () => {
  it('is valid and defines the 13 models of the seed', () => {
    const { config } = loadConfig({});
    expect(Object.keys(config.models)).toHaveLength(13);
    expect(config.models.categorizer!.model).toBe('meta-llama/llama-3.1-8b-instruct');
    expect(config.models.fast_ai!.model).toBe('openai/gpt-oss-safeguard-20b');
    expect(config.models.medium_ai!.model).toBe('meta-llama/llama-3.3-70b-instruct');
    expect(config.models.thinking_ai!.model).toBe('moonshotai/kimi-k2-thinking');
    expect(config.models.code_ai!.model).toBe('moonshotai/kimi-k2-thinking');
    expect(config.models.image_analysis!.model).toBe('google/gemini-2.5-pro');
    expect(config.providers.openrouter!.rate_limits).toMatchObject({ requests_per_minute: 60, tokens_per_minute: 500_000 });
    expect(config.providers.google_ai!.rate_limits).toMatchObject({ requests_per_minute: 60, requests_per_day: 1500 });
    expect(config.limits).toMatchObject({ max_concurrent_workflows: 1000, queue_depth: 10_000, default_timeout_s: 300 });
    expect(config.routing.tiers.H.handler).toBe('workflow');
  });

  it('treats providers without a key as simulated and with a key as live', () => {
    expect(loadConfig({}).providerModes).toMatchObject({ openrouter: 'simulated', google_ai: 'simulated' });
    expect(loadConfig({ OPENROUTER_API_KEY: 'sk-test' }).providerModes).toMatchObject({ openrouter: 'live', google_ai: 'simulated' });
  });

  it('resolves ${ENV} references and <NAME>_BASE_URL overrides', () => {
    const { config } = loadConfig({ OPENROUTER_API_KEY: 'sk-abc', OPENROUTER_BASE_URL: 'http://127.0.0.1:9/v1' });
    expect(config.providers.openrouter!.api_key).toBe('sk-abc');
    expect(config.providers.openrouter!.base_url).toBe('http://127.0.0.1:9/v1');
  });

  it('picks another file through ORCHESTRATION_CONFIG and reports an unreadable one', () => {
    expect(() => loadConfig({ ORCHESTRATION_CONFIG: 'does-not-exist.json' })).toThrow(/cannot read file: ENOENT/);
  });

  it('expands fallback chains transitively', () => {
    const { config } = loadConfig({});
    expect(fallbackChain(config, 'fast_ai')).toEqual(['fast_ai', 'medium_ai', 'long_context_ai']);
  });

  it('ships a JSON Schema generated from the zod schema and in sync with it', () => {
    expect(readFileSync('orchestration_config.schema.json', 'utf8')).toBe(renderConfigJsonSchema());
    expect(shipped().$schema).toBe('./orchestration_config.schema.json');
  });
});

describe('broken configurations are rejected with the path of each problem', () => {
  const cases: [string, (c: Record<string, any>) => void, string][] = [
    ['unknown fallback model', (c) => (c.models.medium_ai.fallbacks = ['nope']), "models.medium_ai.fallbacks.0: unknown model 'nope'"],
    ['model on an unknown provider', (c) => (c.models.fast_ai.provider = 'acme'), "models.fast_ai.provider: unknown provider 'acme'"],
    ['tier naming a missing model', (c) => (c.routing.tiers.M.model = 'ghost'), "routing.tiers.M.model: unknown model 'ghost'"],
    ['fallback cycle', (c) => (c.models.long_context_ai.fallbacks = ['medium_ai']), 'fallback cycle'],
    ['self fallback', (c) => (c.models.fast_ai.fallbacks = ['fast_ai']), 'models.fast_ai.fallbacks.0: model \'fast_ai\' cannot fall back to itself'],
    ['negative rate limit', (c) => (c.providers.openrouter.rate_limits.requests_per_minute = -1), 'providers.openrouter.rate_limits.requests_per_minute:'],
    ['bad capability', (c) => (c.models.fast_ai.capabilities = ['telepathy']), 'models.fast_ai.capabilities.0:'],
    ['unknown tier handler', (c) => (c.routing.tiers.H = { handler: 'magic' }), 'routing.tiers.H'],
    ['vision role without vision', (c) => (c.routing.vision = 'fast_ai'), "routing.vision: model 'fast_ai' lacks the 'vision' capability"],
    ['missing error class', (c) => delete c.error_handling.timeout, 'error_handling.timeout:'],
    ['too many retries', (c) => (c.error_handling.rate_limit.max_retries = 99), 'error_handling.rate_limit.max_retries:'],
    ['unknown top-level key', (c) => (c.extra = true), 'Unrecognized key'],
    ['invalid base URL', (c) => (c.providers.google_ai.base_url = 'not a url'), 'providers.google_ai.base_url:'],
    ['backoff cap below base', (c) => (c.error_handling.server_error.backoff_cap_ms = 1), 'error_handling.server_error.backoff_cap_ms: must be at least backoff_base_ms'],
    ['unset env variable outside keys', (c) => (c.providers.openrouter.base_url = '${NOPE_URL}'), 'providers.openrouter.base_url: environment variable NOPE_URL is not set'],
    ['negative context window', (c) => (c.models.planner.context_window = 0), 'models.planner.context_window:'],
  ];

  it.each(cases)('%s', (_name, mutate, expected) => {
    const problems = problemsOf(mutate);
    expect(problems.join('\n')).toContain(expected);
  });

  it('lists every problem at once, not just the first', () => {
    const problems = problemsOf((c) => {
      c.models.medium_ai.fallbacks = ['nope'];
      c.routing.tiers.M.model = 'ghost';
      c.models.fast_ai.provider = 'acme';
    });
    expect(problems).toHaveLength(3);
  });

  it('lists the cross-check problems beside the shape problems, not after the shape is fixed', () => {
    const problems = problemsOf((c) => {
      c.limits.task_concurrency = -3;
      c.models.fast_ai.bogus = 1;
      c.routing.tiers.M.model = 'ghost';
      c.models.medium_ai.fallbacks = ['nope'];
    });
    expect(problems).toEqual([
      'models.fast_ai: Unrecognized key: "bogus"',
      'limits.task_concurrency: Too small: expected number to be >0',
      "models.medium_ai.fallbacks.0: unknown model 'nope'",
      "routing.tiers.M.model: unknown model 'ghost'",
    ]);
  });

  it('cross-checks what remains once a refused array element is taken out, and no default stands in for what was written', () => {
    const mixed = problemsOf((c) => {
      c.models.image_analysis.capabilities = ['telepathy', 'vision'];
      c.routing.tiers.M.model = 'ghost';
    });
    expect(mixed).toEqual([expect.stringMatching(/^models\.image_analysis\.capabilities\.0: /), "routing.tiers.M.model: unknown model 'ghost'"]);
    // A model left without its required capabilities cannot be read: only the shape problem, no guessed cross-check.
    const unreadable = problemsOf((c) => {
      c.models.fast_ai.capabilities = ['telepathy'];
      c.routing.tiers.M.model = 'ghost';
    });
    expect(unreadable).toEqual([expect.stringMatching(/^models\.fast_ai\.capabilities\.0: /)]);
  });
});
