import { ms, preview, usd } from '../format.js';
import type { Output } from '../output.js';
import { Checks, isRecord, type ModeContext, type ModeResult } from '../result.js';

/**
 * The `workflow` mode: a custom workflow whose shape proves the engine's three
 * promises — variables pass forward, the inline queue runs one task after
 * another, and the run aggregates into one output.
 */

/** Two parallel research tasks feed a draft, which feeds a summary: the run's output. */
export const CUSTOM_WORKFLOW = {
  name: 'client_check',
  description: 'Test client: variable passing, sequential execution, result aggregation.',
  inputs: { topic: { description: 'what to write about', required: true } },
  linear_queue: [
    { id: 'facts', model: 'medium_ai', prompt: 'List three well-established facts about {{topic}}.', output: 'facts', max_tokens: 300 },
    { id: 'audience', model: 'fast_ai', prompt: 'In two sentences, describe who is most interested in {{topic}} and why.', output: 'audience', max_tokens: 200 },
  ],
  inline_queue: [
    {
      id: 'draft',
      model: 'medium_ai',
      prompt: 'Write one paragraph about {{topic}} for this audience: {{audience}}\nUse only these facts:\n{{facts}}',
      output: 'draft',
      max_tokens: 400,
    },
    { id: 'summary', model: 'fast_ai', prompt: 'Summarise this paragraph in one sentence:\n{{draft}}', output: 'summary', max_tokens: 100 },
  ],
  output: 'summary',
};

export const WORKFLOW_VARIABLES = { topic: 'tidal energy' };

interface TaskRow {
  id: string;
  queue: string;
  status: string;
  model_used: string | null;
  started_at: string | null;
  duration_ms: number;
  error: { kind: string; message: string } | null;
}

/** Clocks round to the millisecond on both fields, so allow a little slack on "ends before starts". */
const ROUNDING_SLACK_MS = 2;

export async function workflowMode({ api, out }: ModeContext): Promise<ModeResult> {
  const { body: run } = await api.post<Record<string, unknown>>('/workflow', { workflow: CUSTOM_WORKFLOW, variables: WORKFLOW_VARIABLES });
  const checks = new Checks();
  const tasks = (Array.isArray(run.tasks) ? run.tasks : []) as TaskRow[];
  const variables = isRecord(run.variables) ? run.variables : {};
  printRun(out, run, tasks);

  // Result aggregation: the run completed and its output is the named variable.
  checks.that(run.status === 'completed', `run ended ${String(run.status)}${run.failure_report ? `: ${preview(run.failure_report)}` : ''}`);
  checks.that(typeof run.output === 'string' && run.output.trim() !== '', 'run has no output');
  checks.that(run.output === variables.summary, "run output is not the 'summary' variable named by `output`");
  checks.that(tasks.length === 4 && tasks.every((t) => t.status === 'completed'), `expected 4 completed tasks, got ${tasks.map((t) => `${t.id}:${t.status}`).join(', ')}`);

  // Variable passing: every output was captured under its name for later tasks to read.
  for (const name of ['facts', 'audience', 'draft', 'summary']) {
    checks.that(typeof variables[name] === 'string' && (variables[name] as string) !== '', `variable '${name}' missing from the run`);
  }

  // With the simulator, which quotes its prompt in its answer, passing is visible in the content too.
  let byContent = '';
  if (run.simulated === true) {
    checks.that(quotes(variables.draft, variables.audience), "the draft's prompt did not contain the linear task audience's output");
    checks.that(quotes(variables.summary, variables.draft), "the summary's prompt did not contain the inline task draft's output");
    byContent = ' (seen in the simulated answers)';
  }

  // Sequential execution: the inline queue starts after the linear queue, one task after another.
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const [facts, audience, draft, summary] = ['facts', 'audience', 'draft', 'summary'].map((id) => byId.get(id));
  if (facts && audience && draft && summary) {
    checks.that(draft.queue === 'inline' && summary.queue === 'inline', 'draft and summary should be inline tasks');
    checks.that([facts, audience, draft, summary].every((t) => Number.isFinite(startOf(t))), 'a task has no valid started_at');
    const linearEnd = Math.max(endOf(facts), endOf(audience));
    checks.that(startOf(draft) + ROUNDING_SLACK_MS >= linearEnd, 'inline task draft started before the linear tasks it reads had finished');
    checks.that(startOf(draft) <= startOf(summary), 'inline task summary started before draft (started_at order)');
    checks.that(startOf(summary) + ROUNDING_SLACK_MS >= endOf(draft), 'inline task summary started before draft finished');
  } else {
    checks.that(false, `run records tasks ${tasks.map((t) => t.id).join(', ')}, expected facts, audience, draft, summary`);
  }

  return checks.result(`4 tasks completed, variables passed${byContent}, inline ran draft → summary, output ${String(run.output ?? '').length} chars in ${ms(run.duration_ms)}`);
}

/** Whether `answer` quotes the beginning of `value` (the simulator echoes the first few hundred characters of its prompt). */
function quotes(answer: unknown, value: unknown): boolean {
  const flat = (x: unknown) => String(x ?? '').replace(/\s+/g, ' ').trim();
  const head = flat(value).slice(0, 60);
  return head !== '' && flat(answer).includes(head);
}

function startOf(t: TaskRow): number {
  return t.started_at ? Date.parse(t.started_at) : Number.NaN;
}

function endOf(t: TaskRow): number {
  return startOf(t) + (t.duration_ms ?? 0);
}

function printRun(out: Output, run: Record<string, unknown>, tasks: TaskRow[]): void {
  out.line(`run ${String(run.run_id)} (${String(run.workflow)}): ${String(run.status)} in ${ms(run.duration_ms)}, ${usd(run.cost_usd)}`);
  const t0 = Math.min(...tasks.map(startOf).filter(Number.isFinite));
  for (const t of tasks) {
    const offset = Number.isFinite(startOf(t)) ? `+${Math.round(startOf(t) - t0)} ms` : 'not started';
    out.line(`  ${t.status === 'completed' ? '✓' : '✗'} ${t.queue.padEnd(6)} ${t.id.padEnd(9)} ${String(t.model_used).padEnd(10)} start ${offset}, took ${ms(t.duration_ms)}${t.error ? ` — ${t.error.kind}: ${t.error.message}` : ''}`);
  }
  out.line(`output: ${preview(run.output, 200)}`);
}
