import type { ChatResponse } from '../../../src/orchestrator/chat-types.js';
import { ms, preview, usd } from '../format.js';
import type { Api } from '../http.js';
import { paint, type Output } from '../output.js';
import { Checks, isRecord, type ModeContext, type ModeResult } from '../result.js';

/** The `simple` and `complex` modes: POST /chat, letting the server's categorizer choose the tier. */

/** The body of a POST /chat answer, as the server declares it. */
export type ChatAnswer = ChatResponse;

/**
 * A simple factual request answered in one step (tier M). Phrased as a request,
 * not a question: the simulator and the heuristic both sort short questions
 * ("What …?") into L, the tier for focused questions that reward reasoning.
 */
export const SIMPLE_MESSAGE = 'Tell me the capital of France.';

/** Several deliverables joined by multi-step verbs: a workflow (tier H) by any sensible categorizer. */
export const COMPLEX_MESSAGE =
  'Research the European market for electric cargo bikes, then write a five-section business plan for a cargo-bike rental startup in Berlin, ' +
  'and create a marketing campaign for its launch with three social media posts, an email newsletter and a press release.';

export async function simpleMode({ api, out }: ModeContext): Promise<ModeResult> {
  const answer = await askChat(api, out, SIMPLE_MESSAGE);
  const checks = new Checks();
  if (!checks.that(answer.category === 'M', `expected category M for a simple factual question, the server answered ${describeCategory(answer)}`)) {
    return checks.result('');
  }
  checks.that(typeof answer.response === 'string' && answer.response.trim() !== '', 'the answer is empty');
  checks.that(typeof answer.session_id === 'string' && answer.session_id !== '', 'no session_id in the answer');
  checks.that(answer.workflow === null || answer.workflow === undefined, 'a category M answer carries a workflow');
  return checks.result(`category M (${answer.categorization?.source ?? '?'}) answered by ${answer.model_used} in ${ms(answer.duration_ms)}`);
}

export async function complexMode({ api, out }: ModeContext): Promise<ModeResult> {
  const answer = await askChat(api, out, COMPLEX_MESSAGE);
  const checks = new Checks();
  if (!checks.that(answer.category === 'H', `expected category H for a multi-deliverable request, the server answered ${describeCategory(answer)}`)) {
    return checks.result('');
  }
  const wf = answer.workflow;
  if (!isRecord(wf)) {
    checks.that(false, 'category H but the answer has no workflow');
    return checks.result('');
  }
  if (wf.fallback_reason) checks.that(false, `no workflow ran: ${wf.fallback_reason}`);
  const plan = isRecord(wf.plan) ? wf.plan : null;
  const run = isRecord(wf.run) ? wf.run : null;
  checks.that(plan, `workflow has no plan (keys: ${Object.keys(wf).join(', ')})`);
  checks.that(run, `workflow has no run (keys: ${Object.keys(wf).join(', ')})`);
  const linear = plan?.linear_queue ?? [];
  const inline = plan?.inline_queue ?? [];
  const tasks = run?.tasks ?? [];
  if (plan) {
    out.line(`plan "${plan.name}": ${linear.length} linear + ${inline.length} inline tasks`);
    for (const t of [...linear, ...inline]) out.line(`  ${linear.includes(t) ? 'linear' : 'inline'} ${t.id} (${t.model ?? 'default model'}): ${preview(t.prompt, 80)}`);
    checks.that(linear.length + inline.length > 0, 'the plan has no tasks');
  }
  if (run) {
    out.line(`run ${run.run_id}: ${run.status} in ${ms(run.duration_ms)}, ${usd(run.cost_usd)}`);
    for (const t of tasks) out.line(`  ${t.status === 'completed' ? '✓' : '✗'} ${t.queue}/${t.id} ${String(t.model_used)} ${ms(t.duration_ms)}`);
    checks.that(typeof run.run_id === 'string', 'the run has no run_id');
    checks.that(run.status === 'completed', `the run ended ${run.status}${run.failure_report ? `: ${preview(run.failure_report)}` : ''}`);
    checks.that(tasks.length === linear.length + inline.length, `the run recorded ${tasks.length} tasks, the plan has ${linear.length + inline.length}`);
  }
  checks.that(typeof answer.response === 'string' && answer.response.trim() !== '', 'the merged answer is empty');
  return checks.result(`category H (${answer.categorization?.source ?? '?'}): ${linear.length}+${inline.length} planned tasks, run ${String(run?.status)} in ${ms(answer.duration_ms)}`);
}

/** POSTs one message and prints what the categorizer decided and who answered. */
async function askChat(api: Api, out: Output, message: string): Promise<ChatAnswer> {
  out.line(`${paint(out, 'dim', 'you:')} ${message}`);
  const { body } = await api.post<ChatAnswer>('/chat', { message });
  out.line(`categorizer: ${describeCategory(body)}`);
  out.line(`${paint(out, 'dim', `${body.model_used}:`)} ${preview(body.response, 300)}`);
  out.line(paint(out, 'dim', turnSummary(body)));
  return body;
}

/** "M (source heuristic: short question)". */
export function describeCategory(answer: ChatAnswer): string {
  const c = answer.categorization;
  if (!c) return String(answer.category);
  return `${String(answer.category)} (source ${c.source}${c.reasoning ? `: ${preview(c.reasoning, 120)}` : ''})`;
}

/** The per-turn footer: category, model, cost, time, and flags worth knowing. */
export function turnSummary(answer: ChatAnswer): string {
  const parts = [`category ${answer.category}`, `model ${answer.model_used}`, usd(answer.cost_usd), ms(answer.duration_ms)];
  if (answer.usage) parts.push(`${answer.usage.total_tokens} tokens`);
  if (answer.fallback_used) parts.push('fallback used');
  if (answer.simulated) parts.push('simulated');
  return `[${parts.join(' · ')}]`;
}
