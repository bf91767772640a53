import { cronProblem, timeZoneProblem } from '../runs/schedules/cron.js';
import { callbackUrlProblem, parseAllowHosts } from '../runs/webhooks/url-guard.js';
import type { Problem } from './cross-check.js';
import type { Config } from './schema.js';

/**
 * Config checks of webhooks and schedules that a schema cannot express:
 * subscription URLs pass the same guard as a request's callback_url, retry
 * delays are ordered, schedule names are unique, cron expressions and time
 * zones parse. (Schedule templates are checked once the catalogue is loaded.)
 */
export function automationProblems(config: Config): Problem[] {
  const problems: Problem[] = [];
  const webhooks = config.webhooks;
  const allow = parseAllowHosts(webhooks.allow_hosts);
  webhooks.subscriptions.forEach((s, i) => {
    const problem = callbackUrlProblem(s.url, allow);
    if (problem) problems.push({ path: `webhooks.subscriptions.${i}.url`, message: problem });
  });
  if (webhooks.subscriptions.length > 0 && !webhooks.secret) {
    problems.push({ path: 'webhooks.secret', message: 'subscriptions need a signing secret: set WEBHOOK_SECRET (whsec_...)' });
  }
  if (webhooks.retry_cap_ms < webhooks.retry_base_ms) {
    problems.push({ path: 'webhooks.retry_cap_ms', message: 'must be at least retry_base_ms' });
  }

  const seen = new Set<string>();
  config.schedules.forEach((s, i) => {
    if (seen.has(s.name)) problems.push({ path: `schedules.${i}.name`, message: `duplicate schedule name '${s.name}'` });
    seen.add(s.name);
    const cron = cronProblem(s.cron);
    if (cron) problems.push({ path: `schedules.${i}.cron`, message: cron });
    const tz = timeZoneProblem(s.timezone);
    if (tz) problems.push({ path: `schedules.${i}.timezone`, message: tz });
  });
  return problems;
}
