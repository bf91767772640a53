import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';

/** The shipped config with every provider simulated, optionally adjusted. */
export function testConfig(edit?: (raw: Record<string, any>) => void): Config {
  const raw = JSON.parse(readFileSync('orchestration_config.json', 'utf8')) as Record<string, any>;
  edit?.(raw);
  return parseConfig(raw, {}).config;
}
