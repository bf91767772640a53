import { describe, expect, it } from 'vitest';
import { readOpsText, type OpsContext } from './ops-answer.js';

const ctx: OpsContext = {
  now: '2026-11-30T10:00:00.000Z',
  models: ['medium_ai', 'medium_ai_v2', 'planner', 'fast_ai'],
  splits: { 'routing.tiers.M.model': ['medium_ai', 'medium_ai_v2'], 'routing.planner': ['planner', 'fast_ai'] },
};

describe('reading plain-words ops without a model', () => {
  it('rollbacks by time, by hash and to the previous version, optionally for one model', () => {
    expect(readOpsText("rollback the config to yesterday's version", ctx)).toEqual({ action: 'rollback', at: '2026-11-29T10:00:00.000Z' });
    expect(readOpsText('revert to 3fa885e please', ctx)).toEqual({ action: 'rollback', to: '3fa885e' });
    expect(readOpsText('roll back medium_ai to 2 hours ago', ctx)).toEqual({ action: 'rollback', at: '2026-11-30T08:00:00.000Z', model: 'medium_ai' });
    expect(readOpsText('undo the last change', ctx)).toEqual({ action: 'rollback', previous: true });
  });

  it('split weights in several phrasings, longest model keys first', () => {
    const expected = { action: 'set_split_weights', split: 'routing.tiers.M.model', weights: { medium_ai: 90, medium_ai_v2: 10 } };
    expect(readOpsText('set the M tier split to medium_ai 90 medium_ai_v2 10', ctx)).toEqual(expected);
    expect(readOpsText('route 90/10 between medium_ai and medium_ai_v2', ctx)).toEqual(expected);
    expect(readOpsText('split traffic 90% medium_ai, 10% medium_ai_v2', ctx)).toEqual(expected);
  });

  it('canaries and schedules; anything else is null', () => {
    expect(readOpsText('pause the canary medium_ai_v2', ctx)).toEqual({ action: 'pause_canary', split: 'routing.tiers.M.model', model: 'medium_ai_v2' });
    expect(readOpsText('resume canary medium_ai_v2 on the M tier', ctx)).toMatchObject({ action: 'resume_canary', model: 'medium_ai_v2' });
    expect(readOpsText('disable schedule nightly_report', ctx)).toEqual({ action: 'disable_schedule', schedule: 'nightly_report' });
    expect(readOpsText('what is the weather', ctx)).toBeNull();
  });
});
