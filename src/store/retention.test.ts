import { describe, expect, it, vi } from 'vitest';
import { StorageSchema } from '../config/schema.js';
import { createMemoryStores } from './memory.js';
import { startRetention } from './retention.js';
import type { Turn } from './types.js';

const HOUR = 3_600_000;
const start = Date.parse('2025-01-10T00:00:00.000Z');
const at = (ms: number) => new Date(ms).toISOString();
const turn = (role: Turn['role'], created_at: string): Turn => ({
  role,
  content: role,
  category: null,
  model_used: null,
  run_id: null,
  request_id: null,
  cost_usd: 0,
  created_at,
});
const log = () => ({ info: vi.fn(), warn: vi.fn() });
const storage = StorageSchema.parse({ driver: 'memory', session_ttl_hours: 24, run_max_age_hours: 2, sweep_interval_s: 3600 });

const runAt = (run_id: string, started_at: string) => ({
  run_id,
  workflow: 'w',
  status: 'completed' as const,
  output: null,
  variables: {},
  tasks: [],
  failure_report: null,
  usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  cost_usd: 0,
  duration_ms: 0,
  started_at,
  finished_at: null,
  session_id: null,
  media: [],
  simulated: false,
  resumed: 0,
  cancelled_by: null,
});

describe('retention', () => {
  it('removes sessions idle past the TTL and runs past their age, keeping the rest', async () => {
    const now = { value: start };
    const clock = { now: () => now.value };
    const stores = createMemoryStores({ clock });
    await stores.sessions.appendTurns('idle', [turn('user', at(start - 25 * HOUR))]);
    await stores.sessions.appendTurns('recent', [turn('user', at(start - 23 * HOUR))]);
    await stores.runs.save(runAt('old', at(start - 3 * HOUR)));
    await stores.runs.save(runAt('fresh', at(start - 1 * HOUR)));

    const retention = startRetention(stores, storage, clock, log());
    try {
      await retention.sweepOnce();
      expect(await stores.sessions.get('idle')).toBeNull();
      expect(await stores.sessions.get('recent')).not.toBeNull();
      expect(await stores.runs.get('old')).toBeNull();
      expect(await stores.runs.get('fresh')).not.toBeNull();

      now.value = start + 2 * HOUR;
      expect(await retention.sweepOnce()).toEqual({ sessions: 1, runs: 1 });
      expect(await stores.sessions.get('recent')).toBeNull();
      expect(await stores.runs.get('fresh')).toBeNull();
    } finally {
      retention.stop();
    }
  });

  it('sweeps on its own every sweep_interval_s', async () => {
    vi.useFakeTimers({ now: start });
    try {
      const clock = { now: () => Date.now() };
      const stores = createMemoryStores({ clock });
      const retention = startRetention(stores, storage, clock, log());
      await vi.advanceTimersByTimeAsync(1);
      await stores.runs.save(runAt('r', at(start)));
      await vi.advanceTimersByTimeAsync(3 * HOUR);
      expect(await stores.runs.get('r')).toBeNull();
      retention.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('logs a store failure instead of throwing it', async () => {
    const stores = createMemoryStores();
    await stores.close();
    const logger = log();
    const retention = startRetention(stores, storage, { now: () => start }, logger);
    try {
      expect(await retention.sweepOnce()).toEqual({ sessions: 0, runs: 0 });
      expect(logger.warn).toHaveBeenCalled();
    } finally {
      retention.stop();
    }
  });
});
