import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { MAX_TIMER_MS, MAX_TIMER_S } from '../../src/config/minimums.js';
import { shippedConfig } from '../helpers/app.js';

/**
 * The kind behind 48aa06f: a configured duration that becomes a node timer's delay waits at most 2^31 - 1 ms
 * and fires after 1 ms beyond that, so a 30-day timeout, backoff or interval would fire at once. Every such
 * field is bounded in the schema (and so in orchestration_config.schema.json), refused with its path.
 */

/** Durations in the config that are compared with timestamps, never armed as timers (so not bounded). */
const NOT_TIMERS = new Set(['max_p95_ms', 'recent_max_age_s', 'jwks_cache_max_age_s', 'jwks_cooldown_s', 'ttl_s', 'clock_tolerance_s']);

/** Every `*_ms` / `*_s` number property of the generated JSON Schema, with its path and `maximum`. */
function durations(node: unknown, path: string, out: { path: string; name: string; maximum?: number }[] = []) {
  if (Array.isArray(node)) node.forEach((v, i) => durations(v, `${path}[${i}]`, out));
  else if (node && typeof node === 'object') {
    const props = (node as { properties?: Record<string, { type?: string; maximum?: number }> }).properties ?? {};
    for (const [name, sub] of Object.entries(props)) {
      if (/_(ms|s)$/.test(name) && (sub.type === 'integer' || sub.type === 'number')) out.push({ path: `${path}.${name}`, name, maximum: sub.maximum });
    }
    for (const [k, v] of Object.entries(node)) durations(v, `${path}.${k}`, out);
  }
  return out;
}

describe('configured durations that become timers', () => {
  const schema = JSON.parse(readFileSync(new URL('../../orchestration_config.schema.json', import.meta.url), 'utf8'));

  it('every *_ms and *_s duration armed as a timer has a maximum a node timer can wait', () => {
    const found = durations(schema, '');
    expect(found.length).toBeGreaterThan(30);
    const unbounded = found
      .filter((d) => !NOT_TIMERS.has(d.name))
      .filter((d) => d.maximum === undefined || d.maximum > (d.name.endsWith('_ms') ? MAX_TIMER_MS : MAX_TIMER_S))
      .map((d) => d.path);
    expect(unbounded).toEqual([]);
  });

  it('a config with durations beyond what a timer can wait is refused listing every path', () => {
    const raw = shippedConfig();
    raw.timeouts = { ...raw.timeouts, connect_ms: 3_000_000_000 };
    raw.circuit_breaker = { ...raw.circuit_breaker, reset_timeout_ms: MAX_TIMER_MS + 1 };
    raw.server = { ...raw.server, shutdown_grace_ms: 2 ** 40 };
    raw.limits = { ...raw.limits, run_stall_s: MAX_TIMER_S + 1 };
    let error: unknown;
    try {
      parseConfig(raw, {});
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const path of ['timeouts.connect_ms', 'circuit_breaker.reset_timeout_ms', 'server.shutdown_grace_ms', 'limits.run_stall_s']) {
      expect(message).toContain(`${path}: must be at most`);
    }
  });

  it('the longest durations allowed load', () => {
    const raw = shippedConfig();
    raw.timeouts = { ...raw.timeouts, connect_ms: MAX_TIMER_MS };
    raw.limits = { ...raw.limits, run_stall_s: MAX_TIMER_S };
    expect(() => parseConfig(raw, {})).not.toThrow();
  });
});
