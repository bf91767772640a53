/**
 * The per-request cost of versioned config (control/config-runtime.ts): taking the
 * active version and building the request's deps from it, against reading one fixed
 * deps object as before. In process, no network: `npx tsx scripts/bench/config-version-micro.ts`.
 */
import { performance } from 'node:perf_hooks';
import { configHash } from '../../src/control/canonical.js';
import { createConfigRuntime } from '../../src/control/config-runtime.js';
import { EventBus } from '../../src/event-bus.js';
import type { AppEvents } from '../../src/events.js';
import type { Gateway } from '../../src/gateway/types.js';
import { loadConfig } from '../../src/config/load.js';
import { median } from './numbers.js';

const loaded = loadConfig({});
const gateway = {} as Gateway;
const runtime = createConfigRuntime({ hash: configHash(loaded.document), loaded, gateway, adapters: {}, bus: new EventBus<AppEvents>() });
const base = { config: loaded.config, config_version: 'x', catalog: {}, gateway, stores: {}, bus: {}, clock: {}, log: {}, traffic: {}, runs: {} };
const N = 2_000_000;
let sink = 0;

const fixed = () => {
  const t = performance.now();
  for (let i = 0; i < N; i++) sink += base.config.limits.max_images;
  return performance.now() - t;
};
const versioned = () => {
  const t = performance.now();
  for (let i = 0; i < N; i++) {
    const active = runtime.current();
    const deps = { ...base, config: active.config, gateway: active.gateway, config_version: active.hash };
    sink += deps.config.limits.max_images;
  }
  return performance.now() - t;
};

const rounds: { fixed: number; versioned: number }[] = [];
for (let r = 0; r < 7; r++) rounds.push({ fixed: fixed(), versioned: versioned() });
const f = median(rounds.map((r) => r.fixed));
const v = median(rounds.map((r) => r.versioned));
console.log(`fixed deps: ${((f * 1e6) / N).toFixed(1)} ns/request; versioned: ${((v * 1e6) / N).toFixed(1)} ns/request (+${(((v - f) * 1e6) / N).toFixed(1)} ns); sink ${sink > 0}`);
console.log(`canonical hash of the shipped config: ${(() => {
  const t = performance.now();
  for (let i = 0; i < 200; i++) configHash(loaded.document);
  return ((performance.now() - t) / 200).toFixed(3);
})()} ms (once per change, never per request)`);
