import { isRecord } from './result.js';
import type { SseEvent } from './sse.js';

/**
 * The orchestrator's SSE events (API.md "Streaming") read into one typed shape.
 * Task events may carry the task record (`{run_id, task: {id, model_used, …}}`)
 * or flat fields (`{run_id, task_id, …}`); both are accepted.
 */
export type RunEvent =
  | { kind: 'categorized'; category: string }
  | { kind: 'plan_ready'; tasks: number }
  | { kind: 'task_started'; task: string; model: string | null }
  | { kind: 'task_retry'; task: string; attempt: number | null; reason: string | null }
  | { kind: 'task_completed'; task: string; model: string | null; durationMs: number | null }
  | { kind: 'task_failed'; task: string; message: string }
  | { kind: 'token'; text: string }
  | { kind: 'completed'; body: Record<string, unknown> }
  | { kind: 'error'; message: string; body: unknown }
  | { kind: 'other'; name: string };

export function toRunEvent(event: SseEvent): RunEvent {
  let data: unknown;
  try {
    data = JSON.parse(event.data);
  } catch {
    data = event.data;
  }
  const d = isRecord(data) ? data : {};
  const task = isRecord(d.task) ? d.task : d;
  const taskId = str(task.id) ?? str(d.task_id) ?? str(d.id) ?? '?';
  const model = str(task.model_used) ?? str(d.model_used) ?? str(task.model) ?? str(d.model) ?? null;
  switch (event.event) {
    case 'categorized':
      return { kind: 'categorized', category: str(d.category) ?? '?' };
    case 'plan_ready': {
      const plan = isRecord(d.plan) ? d.plan : isRecord(d.workflow) ? d.workflow : d;
      const count = (q: unknown) => (Array.isArray(q) ? q.length : 0);
      return { kind: 'plan_ready', tasks: count(plan.linear_queue) + count(plan.inline_queue) };
    }
    case 'task_started':
      return { kind: 'task_started', task: taskId, model };
    case 'task_retry':
      return { kind: 'task_retry', task: taskId, attempt: num(d.attempt) ?? num(task.calls), reason: str(d.reason) ?? str(d.kind) ?? str(d.error) ?? null };
    case 'task_completed':
      return { kind: 'task_completed', task: taskId, model, durationMs: num(task.duration_ms) ?? num(d.duration_ms) };
    case 'task_failed': {
      const err = isRecord(task.error) ? task.error : isRecord(d.error) ? d.error : {};
      return { kind: 'task_failed', task: taskId, message: [str(err.kind), str(err.message) ?? str(d.error)].filter(Boolean).join(': ') || 'failed' };
    }
    case 'token':
      return { kind: 'token', text: str(d.delta) ?? str(d.text) ?? str(d.content) ?? (typeof data === 'string' ? data : '') };
    case 'completed':
      return { kind: 'completed', body: d };
    case 'error': {
      const err = isRecord(d.error) ? d.error : d;
      return { kind: 'error', message: [str(err.type), str(err.message)].filter(Boolean).join(': ') || event.data, body: data };
    }
    default:
      return { kind: 'other', name: event.event };
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
