import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { shippedConfig } from '../helpers/app.js';

const problemsOf = (edit: (raw: Record<string, any>) => void, env: NodeJS.ProcessEnv = {}) => {
  const raw = shippedConfig();
  edit(raw);
  try {
    parseConfig(raw, env);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems;
  }
};

describe('webhooks and schedules in the config', () => {
  it('reports every bad schedule and webhook setting with its path, all at once', () => {
    const second = problemsOf(
      (raw) => {
        raw.webhooks = { subscriptions: [{ url: 'https://10.0.0.1/hook', events: ['run.completed'] }, { url: 'http://example.com', events: ['run.failed'] }] };
        raw.schedules = [
          { name: 'nightly', cron: '0 3 * * *', timezone: 'Mars/Olympus', template: 'research_report' },
          { name: 'nightly', cron: '61 * * * *', template: 'research_report' },
          { name: 'short', cron: '* *', template: 'research_report' },
        ];
      },
      { WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 1).toString('base64')}` },
    );
    expect(second.map((p) => p.path).sort()).toEqual([
      'schedules.0.timezone',
      'schedules.1.cron',
      'schedules.1.name',
      'schedules.2.cron',
      'webhooks.subscriptions.0.url',
      'webhooks.subscriptions.1.url',
    ]);
  });

  it('takes the secret from WEBHOOK_SECRET and adds WEBHOOK_ALLOW_HOSTS to allow_hosts', () => {
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const raw = shippedConfig();
    raw.webhooks = { secret: '${WEBHOOK_SECRET}', allow_hosts: ['a.internal'] };
    const { config } = parseConfig(raw, { WEBHOOK_SECRET: secret, WEBHOOK_ALLOW_HOSTS: 'b.internal:8443, 10.0.0.9' });
    expect(config.webhooks.secret).toBe(secret);
    expect(config.webhooks.allow_hosts).toEqual(['a.internal', 'b.internal:8443', '10.0.0.9']);
  });

  it('refuses an unknown missed-fire policy', () => {
    const problems = problemsOf((raw) => (raw.schedules = [{ name: 'n', cron: '* * * * *', template: 'research_report', missed_fire: 'sometimes' }]));
    expect(problems.map((p) => p.path)).toEqual(['schedules.0.missed_fire']);
  });

  it('refuses a secret that is not whsec_ + base64, and subscriptions without a secret', () => {
    expect(problemsOf((raw) => (raw.webhooks = { secret: 'hunter2' })).map((p) => p.path)).toEqual(['webhooks.secret']);
    expect(problemsOf((raw) => (raw.webhooks = { subscriptions: [{ url: 'https://example.com/h', events: ['run.failed'] }] })).map((p) => p.path)).toEqual([
      'webhooks.secret',
    ]);
  });
});
