import { describe, expect, it } from 'vitest';
import { shippedConfig, testAppForTests } from '../helpers/app.js';
import { parseConfig } from '../../src/config/load.js';
import { CreateKeySchema, UpdateKeySchema } from '../../src/control/keys.js';

/**
 * Issue 17, tiny budgets: a number below what can work is a 400 naming its path before anything
 * runs (`timeout_s: 1e-9` used to be accepted and end as a 504).
 */
const t = testAppForTests();
const post = t.post;
const detailAt = (body: any, path: string) => body.error.details.find((d: { path: string }) => d.path === path);

const task = { id: 'a', model: 'fast_ai', prompt: 'hi' };

describe('time budgets below 0.1 s', () => {
  it.each([1e-9, 0.001, 0.099, 0, -1])('timeout_s %s is a 400 naming the path on every door that takes one', async (timeout_s) => {
    const cases: [string, unknown, string][] = [
      ['/chat', { message: 'hi', category: 'L', timeout_s }, 'body.timeout_s'],
      ['/workflow', { workflow: { linear_queue: [task] }, timeout_s }, 'body.timeout_s'],
      ['/workflow', { workflow: { linear_queue: [{ ...task, timeout_s }] } }, 'body.workflow.linear_queue.0.timeout_s'],
      ['/workflow', { workflow: { linear_queue: [task], inline_queue: [{ ...task, id: 'b', timeout_s }] } }, 'body.workflow.inline_queue.0.timeout_s'],
      ['/template/research_report', { variables: {}, timeout_s }, 'body.timeout_s'],
    ];
    for (const [path, body, at] of cases) {
      const res = await post(path, body);
      expect(res.status, `${path} ${at}`).toBe(400);
      expect(res.body.error.type).toBe('validation_error');
      expect(detailAt(res.body, at)?.message, `${path} ${at}`).toMatch(/at least 0\.1 seconds/);
    }
  });

  it('0.1 s itself is accepted (the run may then time out, but it is not refused)', async () => {
    const res = await post('/workflow', { workflow: { linear_queue: [{ ...task, timeout_s: 0.1 }] }, timeout_s: 0.1 });
    expect(res.status).not.toBe(400);
    expect(res.status).toBeLessThan(500);
  });
});

describe('other minimums', () => {
  it('a config whose limits.default_timeout_s is tiny is refused with its path', () => {
    const raw = shippedConfig();
    raw.limits = { ...raw.limits, default_timeout_s: 1e-9 };
    expect(() => parseConfig(raw, {})).toThrow(/limits\.default_timeout_s: must be at least 0\.1 seconds/);
  });

  it('an API key budget below one cent is refused at its path', () => {
    for (const schema of [CreateKeySchema, UpdateKeySchema]) {
      const parsed = schema.safeParse({ name: 'k', budgets: { day_usd: 1e-9, month_usd: 0.001 } });
      expect(parsed.success).toBe(false);
      expect(parsed.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['budgets.day_usd', 'budgets.month_usd']);
    }
    expect(CreateKeySchema.safeParse({ name: 'k', budgets: { day_usd: 0.01 } }).success).toBe(true);
  });
});
