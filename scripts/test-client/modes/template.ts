import { ms, preview, usd } from '../format.js';
import { ProgressDisplay } from '../progress.js';
import { Checks, isRecord, type ModeContext, type ModeResult } from '../result.js';
import { toRunEvent } from '../run-events.js';
import type { TemplateInfo } from './catalogue.js';

/** The `template` mode: runs research_report with `stream: true` and shows its progress live. */

export const TEMPLATE_NAME = 'research_report';
export const TEMPLATE_VARIABLES = { topic: 'solid-state batteries', depth: 'brief' };

export async function templateMode({ api, out }: ModeContext): Promise<ModeResult> {
  const checks = new Checks();
  const { body: listing } = await api.get<{ templates: TemplateInfo[] }>('/templates');
  const info = listing?.templates?.find((t) => t.name === TEMPLATE_NAME);
  if (!info) {
    checks.that(false, `the server has no template '${TEMPLATE_NAME}'`);
    return checks.result('');
  }
  const expectedTasks = info.tasks ? [...info.tasks.linear, ...info.tasks.inline] : [];

  const started: string[] = [];
  const finished = new Set<string>();
  const failed: string[] = [];
  let completed: Record<string, unknown> | null = null;
  let streamError: string | null = null;
  let tokens = 0;
  let afterEnd = 0;

  const display = new ProgressDisplay(out, `${TEMPLATE_NAME} (${TEMPLATE_VARIABLES.topic})`);
  try {
    for await (const sse of api.stream(`/template/${TEMPLATE_NAME}`, { variables: TEMPLATE_VARIABLES, stream: true })) {
      const event = toRunEvent(sse);
      if (completed || streamError) afterEnd++;
      display.handle(event);
      if (event.kind === 'task_started') started.push(event.task);
      else if (event.kind === 'task_completed') finished.add(event.task);
      else if (event.kind === 'task_failed') failed.push(`${event.task} (${event.message})`);
      else if (event.kind === 'token') tokens++;
      else if (event.kind === 'completed') completed = event.body;
      else if (event.kind === 'error') streamError = event.message;
    }
  } finally {
    display.stop();
  }

  if (!checks.that(!streamError, `the stream ended with an error event: ${streamError}`)) return checks.result('');
  if (!checks.that(completed, 'the stream ended without a completed event')) return checks.result('');
  const run = completed as Record<string, unknown>;
  out.line(`run ${String(run.run_id)}: ${String(run.status)} in ${ms(run.duration_ms)}, ${usd(run.cost_usd)}`);
  out.line(`output: ${preview(run.output, 200)}`);

  checks.that(afterEnd === 0, `${afterEnd} events arrived after the final completed/error event`);
  checks.that(run.status === 'completed', `run ended ${String(run.status)}${run.failure_report ? `: ${preview(run.failure_report)}` : ''}`);
  checks.that(typeof run.output === 'string' && run.output.trim() !== '', 'run has no output');
  checks.that(failed.length === 0, `tasks failed: ${failed.join(', ')}`);
  for (const id of expectedTasks) {
    checks.that(started.includes(id), `no task_started event for ${id}`);
    checks.that(finished.has(id), `no task_completed event for ${id}`);
  }
  const inline = info.tasks?.inline ?? [];
  const inlineOrder = started.filter((id) => inline.includes(id));
  checks.that(inlineOrder.join() === inline.join(), `inline tasks started in the order ${inlineOrder.join(' → ')}, expected ${inline.join(' → ')}`);

  if (typeof run.run_id === 'string') {
    const { body: record } = await api.get<Record<string, unknown>>(`/runs/${encodeURIComponent(run.run_id)}`);
    checks.that(isRecord(record) && record.status === run.status, `GET /runs/${run.run_id} says ${String(record?.status)}, the stream said ${String(run.status)}`);
  } else {
    checks.that(false, 'the completed event has no run_id');
  }
  return checks.result(`${finished.size} tasks streamed (${started.length} started), ${tokens} token events, run ${String(run.status)} in ${ms(run.duration_ms)}`);
}
