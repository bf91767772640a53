import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/load.js';
import { openScheduleDb } from '../../src/runs/schedules/schedule-db.js';
import { startTestApp } from '../helpers/app.js';
import { eventually, getJson } from '../orchestrator/support.js';

const dir = mkdtempSync(join(tmpdir(), 'mo-sched-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A daily schedule whose fire was 5 minutes ago (UTC), and the state of a server that last fired it a day before. */
function missedDaily(name: string, policy: 'skip' | 'run_once') {
  const fire = new Date(Date.now() - 5 * 60_000);
  fire.setUTCSeconds(0, 0);
  const db = openScheduleDb(join(dir, `${name}.db`));
  const yesterday = fire.getTime() - 86_400_000;
  db.prepare('INSERT INTO schedule_state (name, last_fire_ms, seen_ms) VALUES (?, ?, ?)').run(name, yesterday, yesterday - 1000);
  const schedule = { name, cron: `${fire.getUTCMinutes()} ${fire.getUTCHours()} * * *`, timezone: 'UTC', template: 'research_report', variables: { topic: 'owls' }, missed_fire: policy };
  return { db, schedule, fire: fire.getTime(), yesterday };
}

describe('schedules on a single node', () => {
  it('runs a fire missed while the server was down once on restart with missed_fire: run_once', async () => {
    const { db, schedule, fire } = missedDaily('catchup', 'run_once');
    const t = await startTestApp({ scheduleDb: db, config: (raw) => (raw.schedules = [schedule]) });
    try {
      const last = await eventually(async () => {
        const [view] = (await getJson(`${t.url}/schedules`)).schedules;
        return view.last_run?.run_id ? view.last_run : undefined;
      });
      expect(last.fired_at).toBe(new Date(fire).toISOString());
      const run = await eventually(async () => {
        const r = await getJson(`${t.url}/runs/${last.run_id}`);
        return r.status === 'completed' ? r : undefined;
      }, 10_000);
      expect(run.workflow).toBe('research_report');
    } finally {
      await t.close();
      db.close();
    }
  });

  it('skips a fire missed while the server was down with missed_fire: skip', async () => {
    const { db, schedule, yesterday } = missedDaily('skipper', 'skip');
    const starts: string[] = [];
    const t = await startTestApp({ scheduleDb: db, config: (raw) => (raw.schedules = [schedule]) });
    t.app.ctx.bus.on('run_started', (e) => starts.push(e.request_id ?? ''));
    try {
      // The policy is applied while the server starts, before it listens: nothing was started, the last fire is yesterday's.
      const [view] = (await getJson(`${t.url}/schedules`)).schedules;
      expect(view.last_run).toEqual({ fired_at: new Date(yesterday).toISOString(), run_id: null, status: null });
      expect(Date.parse(view.next_fire_at) - Date.now()).toBeGreaterThan(20 * 3_600_000);
      expect(starts).toEqual([]);
    } finally {
      await t.close();
      db.close();
    }
  });

  it('fires on time, each fire once, and remembers the last fire in the schedule database', async () => {
    const db = openScheduleDb(join(dir, 'ticks.db'));
    const fires = new Set<string>();
    const t = await startTestApp({
      scheduleDb: db,
      config: (raw) => (raw.schedules = [{ name: 'tick', cron: '* * * * * *', template: 'research_report', variables: { topic: 'owls' } }]),
    });
    t.app.ctx.bus.on('run_started', (e) => e.request_id?.startsWith('schedule:tick:') && fires.add(e.request_id));
    try {
      await eventually(async () => (fires.size >= 2 ? true : undefined), 15_000);
    } finally {
      await t.close();
    }
    const row = db.prepare('SELECT last_fire_ms FROM schedule_state WHERE name = ?').get('tick') as { last_fire_ms: number };
    expect(row.last_fire_ms % 1000).toBe(0);
    db.close();
  });

  it('refuses at startup a schedule naming an unknown template or missing a required input, naming each path', async () => {
    const err = await startTestApp({
      config: (raw) =>
        (raw.schedules = [
          { name: 'a', cron: '0 3 * * *', template: 'nope' },
          { name: 'b', cron: '0 3 * * *', template: 'research_report' },
        ]),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.path)).toEqual(['schedules.0.template', 'schedules.1.variables.topic']);
  });

  it('refuses at startup a variable the template does not declare, naming the closest input (issue 16)', async () => {
    const err = await startTestApp({
      config: (raw) => (raw.schedules = [{ name: 'c', cron: '0 3 * * *', template: 'research_report', variables: { topic: 'owls', audeince: 'CFOs' } }]),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      { path: 'schedules.0.variables.audeince', message: "template 'research_report': unknown variable 'audeince'; did you mean 'audience'?" },
    ]);
  });
});
