import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../../clock.js';
import type { Catalog } from '../../config/catalog.js';
import { ConfigError, type Problem } from '../../config/load.js';
import type { ScheduleConfig } from '../../config/schema.js';
import type { RunStatus } from '../../orchestrator/workflow/types.js';
import { variableProblems } from '../../orchestrator/workflow/validate.js';
import type { RunStore } from '../../store/types.js';
import type { RunEngine } from '../engine.js';
import { nextFire } from './cron.js';
import { createFiring, type StartRun } from './firing.js';
import { startFleetTrigger } from './fleet-trigger.js';
import { startLocalTimers } from './local-timers.js';
import type { ScheduleStateStore } from './schedule-state.js';

/** One schedule as GET /schedules shows it. */
export interface ScheduleView {
  name: string;
  cron: string;
  timezone: string;
  template: string;
  variables: Record<string, string>;
  enabled: boolean;
  missed_fire: ScheduleConfig['missed_fire'];
  /** ISO time of the next fire (null when disabled). */
  next_fire_at: string | null;
  /** The last fire that started a run, and that run (its status read from the run store). */
  last_run: { fired_at: string; run_id: string | null; status: RunStatus | null } | null;
}

export interface Schedules {
  list(): Promise<ScheduleView[]>;
  /** Stops firing (runs already started go on). */
  close(): Promise<void>;
}

export interface SchedulesDeps {
  schedules: ScheduleConfig[];
  /** The config file, for problems' messages. */
  source: string;
  catalog: Catalog;
  engine: Pick<RunEngine, 'submit'>;
  runs: RunStore;
  clock: Clock;
  log: FastifyBaseLogger;
  /** Null when no schedule is configured. */
  state: ScheduleStateStore | null;
  /** Shared mode: fires come from BullMQ job schedulers on this Redis. */
  fleet?: { redisUrl: string; prefix: string };
}

/**
 * Problems of schedules that only the loaded templates can reveal: unknown template, missing required
 * inputs, and variables the template does not declare (a misspelled `tpoic` would otherwise be dropped
 * at every fire, as a template run refuses it: issue 16), with the closest input named.
 */
export function scheduleTemplateProblems(schedules: ScheduleConfig[], catalog: Catalog): Problem[] {
  return schedules.flatMap((s, i): Problem[] => {
    const template = catalog.templates.get(s.template);
    if (!template) return [{ path: `schedules.${i}.template`, message: `unknown template '${s.template}'` }];
    return variableProblems(template.inputs, s.variables, (name) => `schedules.${i}.variables.${name}`).map((p) => ({
      path: p.path,
      message: `template '${s.template}': ${p.message}`,
    }));
  });
}

/**
 * Starts the configured schedules: checks their templates, applies each one's
 * missed-fire policy to fires that passed while no replica ran (`catchUp`),
 * then fires them — local timers on a single node, BullMQ job schedulers in
 * shared mode. A fire is submitted to the run engine like an async template
 * run (request id `schedule:<name>:<fire ms>`): durable, and seen by webhooks,
 * stats and GET /runs like any other.
 * Throws ConfigError for problems; costs nothing without schedules.
 */
export async function startSchedules(deps: SchedulesDeps): Promise<Schedules> {
  const { schedules, log, clock } = deps;
  if (schedules.length === 0 || !deps.state) return { list: async () => [], close: async () => undefined };
  const problems = scheduleTemplateProblems(schedules, deps.catalog);
  if (problems.length > 0) throw new ConfigError(deps.source, problems);
  const state = deps.state;

  // A fire is submitted like any run: durable from here on, and its run id known at once.
  const startRun: StartRun = async (schedule, fire_ms) => {
    const request_id = `schedule:${schedule.name}:${fire_ms}`;
    try {
      const submitted = await deps.engine.submit({ template: schedule.template, variables: schedule.variables, request_id });
      // Its outcome lives in the run record and event log, like an async run's.
      submitted.done.catch(() => undefined);
      log.info({ schedule: schedule.name, fire_at: new Date(fire_ms).toISOString(), run_id: submitted.run_id }, 'schedule fired');
      return submitted.run_id;
    } catch (err) {
      log.warn({ schedule: schedule.name, err: { message: (err as Error)?.message } }, 'scheduled run could not start');
      return null;
    }
  };
  const firing = createFiring({ state, startRun, clock, log });
  const onError = (err: unknown, schedule: string) => log.error({ schedule, err: { message: (err as Error)?.message } }, 'schedule fire failed');

  const enabled = schedules.filter((s) => s.enabled);
  for (const s of enabled) await firing.catchUp(s);
  const trigger = deps.fleet
    ? await startFleetTrigger({ schedules, firing, redisUrl: deps.fleet.redisUrl, prefix: deps.fleet.prefix, onError })
    : startLocalTimers(enabled, firing, clock, onError);

  return {
    async list() {
      const now = clock.now();
      return Promise.all(
        schedules.map(async (s): Promise<ScheduleView> => {
          const known = await state.get(s.name);
          const run = known?.last_run_id ? await deps.runs.get(known.last_run_id) : null;
          return {
            name: s.name,
            cron: s.cron,
            timezone: s.timezone,
            template: s.template,
            variables: s.variables,
            enabled: s.enabled,
            missed_fire: s.missed_fire,
            next_fire_at: s.enabled ? new Date(nextFire(s.cron, s.timezone, now)).toISOString() : null,
            last_run:
              known?.last_fire_ms == null
                ? null
                : { fired_at: new Date(known.last_fire_ms).toISOString(), run_id: known.last_run_id, status: run?.status ?? null },
          };
        }),
      );
    },
    async close() {
      await trigger.stop();
    },
  };
}
