import { describe, expect, it } from 'vitest';
import { AUTOMATED_MODES, DEFAULT_URL, expandMode, parseArgs } from '../../scripts/test-client/args.js';

describe('test client arguments', () => {
  it('takes the mode and defaults the URL, key and timeout', () => {
    expect(parseArgs(['health'])).toEqual({ kind: 'run', options: { mode: 'health', url: DEFAULT_URL, apiKey: undefined, timeoutMs: 300_000 } });
  });

  it('reads --url and --api-key in both "--flag value" and "--flag=value" forms', () => {
    const a = parseArgs(['simple', '--url', 'http://example.com:9000/', '--api-key', 'k1']);
    const b = parseArgs(['--url=http://example.com:9000', 'simple', '--api-key=k1']);
    for (const parsed of [a, b]) {
      expect(parsed).toMatchObject({ kind: 'run', options: { mode: 'simple', url: 'http://example.com:9000', apiKey: 'k1' } });
    }
  });

  it('falls back to ORCHESTRATOR_URL and API_KEY from the environment', () => {
    const parsed = parseArgs(['stats'], { ORCHESTRATOR_URL: 'https://orch.example.com/', API_KEY: 'env-key' });
    expect(parsed).toMatchObject({ kind: 'run', options: { url: 'https://orch.example.com', apiKey: 'env-key' } });
  });

  it('lets flags win over the environment', () => {
    const parsed = parseArgs(['stats', '--url', 'http://127.0.0.1:1234', '--api-key', 'flag-key'], { ORCHESTRATOR_URL: 'http://other', API_KEY: 'env-key' });
    expect(parsed).toMatchObject({ kind: 'run', options: { url: 'http://127.0.0.1:1234', apiKey: 'flag-key' } });
  });

  it('ignores empty environment values', () => {
    expect(parseArgs(['stats'], { ORCHESTRATOR_URL: '', API_KEY: '  ' })).toMatchObject({ kind: 'run', options: { url: DEFAULT_URL, apiKey: undefined } });
  });

  it('adds http:// to a bare host:port and keeps a path prefix', () => {
    expect(parseArgs(['health', '--url', 'localhost:8123'])).toMatchObject({ options: { url: 'http://localhost:8123' } });
    expect(parseArgs(['health', '--url', 'https://h.example.com/orch/'])).toMatchObject({ options: { url: 'https://h.example.com/orch' } });
  });

  it('rejects a URL that is not http(s)', () => {
    expect(parseArgs(['health', '--url', 'ftp://example.com'])).toEqual({ kind: 'error', message: "not an http(s) URL: 'ftp://example.com'" });
  });

  it('parses --timeout in seconds and rejects nonsense', () => {
    expect(parseArgs(['all', '--timeout', '2.5'])).toMatchObject({ options: { timeoutMs: 2500 } });
    expect(parseArgs(['all', '--timeout', '0'])).toMatchObject({ kind: 'error' });
    expect(parseArgs(['all', '--timeout', 'soon'])).toMatchObject({ kind: 'error' });
  });

  it('reports a missing mode, an unknown mode, two modes, an unknown flag and a flag without value', () => {
    expect(parseArgs([])).toEqual({ kind: 'error', message: 'no mode given' });
    expect(parseArgs(['bogus'])).toMatchObject({ kind: 'error', message: expect.stringContaining("unknown mode 'bogus'") });
    expect(parseArgs(['health', 'stats'])).toMatchObject({ kind: 'error', message: expect.stringContaining('one mode at a time') });
    expect(parseArgs(['health', '--verbose'])).toEqual({ kind: 'error', message: 'unknown option --verbose' });
    expect(parseArgs(['health', '--url'])).toEqual({ kind: 'error', message: 'option --url needs a value' });
    expect(parseArgs(['health', '--url', '--api-key', 'x'])).toEqual({ kind: 'error', message: 'option --url needs a value' });
  });

  it('asks for help with -h or --help wherever it appears', () => {
    expect(parseArgs(['-h'])).toEqual({ kind: 'help' });
    expect(parseArgs(['health', '--help'])).toEqual({ kind: 'help' });
  });

  it('accepts mode names case-insensitively, the "catalog" spelling, and a leading "--" from npm', () => {
    expect(parseArgs(['--', 'HEALTH'])).toMatchObject({ options: { mode: 'health' } });
    expect(parseArgs(['catalog'])).toMatchObject({ options: { mode: 'catalogue' } });
  });

  it('expands group modes: all is every automated mode in order, catalogue the four read-only ones, chat none', () => {
    expect(expandMode('all')).toEqual(AUTOMATED_MODES);
    expect(expandMode('all')).not.toContain('chat');
    expect(expandMode('catalogue')).toEqual(['health', 'models', 'addons', 'templates']);
    expect(expandMode('workflow')).toEqual(['workflow']);
    expect(expandMode('chat')).toEqual([]);
  });
});
