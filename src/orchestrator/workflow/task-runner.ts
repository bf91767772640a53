import type { Clock } from '../../clock.js';
import type { CacheDirective } from '../../cache/types.js';
import type { Catalog } from '../../config/catalog.js';
import type { Config } from '../../config/schema.js';
import type { Gateway, GatewayRequest } from '../../gateway/types.js';
import type { ChatMessage, ContentPart, OutputKind } from '../../providers/types.js';
import { summarizeFailure } from '../failure.js';
import { answerWithMedia, type ReportedMedia } from '../media-answer.js';
import type { Ledger } from '../ledger.js';
import { streamCall, type TokenSink } from '../stream-call.js';
import type { Task, TaskRecord } from './types.js';
import { substitute } from './variables.js';
import { chooseArm, type ArmChoice } from '../../control/splits.js';
import { routeWith, type Traffic } from '../../control/traffic.js';
import { ATTR, failSpan, inSpan, tracingOn } from '../../telemetry/spans.js';

/** What one finished task hands back to the executor. */
export interface TaskOutcome {
  /** The variable's value: the answer text, or a text reference to the generated media. */
  output: string | null;
  media: ReportedMedia[];
}

export interface TaskRunContext {
  run_id: string;
  request_id: string;
  key_id?: string;
  session_id: string | null;
  signal: AbortSignal;
  /** The run's deadline (epoch ms); a task's own timeout_s can only shorten it. */
  runDeadline: number;
  ledger: Ledger;
  /** When set, the task streams its answer and reports each delta (the run's final step). */
  onDelta?: TokenSink;
  /** The workflow's (template's) `cache` directive for its tasks' calls. */
  cache?: CacheDirective;
}

export interface TaskRunDeps {
  config: Config;
  catalog: Catalog;
  gateway: Gateway;
  clock: Clock;
  traffic?: Traffic;
}

/** The split key of a run's tasks: its session (so a conversation keeps its arm), else the run. */
const splitKey = (ctx: { run_id: string; session_id: string | null }): string => ctx.session_id || ctx.run_id;

/**
 * The model a task calls: its own, else `routing.default_task_model` — resolved
 * per the run's split key when that names weighted arms (deterministic, so the
 * task_started event and the call agree).
 */
export function taskModel(config: Config, task: Task, ctx: { run_id: string; session_id: string | null }): ArmChoice {
  return task.model ? { model: task.model } : chooseArm('routing.default_task_model', config.routing.default_task_model, splitKey(ctx));
}

const KIND_FOR_TYPE: Record<Task['type'], OutputKind> = { text: 'text', vision: 'text', image: 'image', video: 'video' };

/** The messages of a task: addon prompts and its own system prompt first, then its prompt (with images for vision). */
export function taskMessages(task: Task, values: Record<string, string>, catalog: Catalog): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (const id of task.addons ?? []) {
    const addon = catalog.addons.get(id);
    if (addon) messages.push({ role: 'system', content: addon.prompt });
  }
  if (task.system) messages.push({ role: 'system', content: substitute(task.system, values) });
  const prompt = substitute(task.prompt, values);
  if (task.type === 'vision' && task.images && task.images.length > 0) {
    const parts: ContentPart[] = [
      { type: 'text', text: prompt },
      ...task.images.map((url): ContentPart => ({ type: 'image_url', image_url: { url } })),
    ];
    messages.push({ role: 'user', content: parts });
  } else {
    messages.push({ role: 'user', content: prompt });
  }
  return messages;
}

/**
 * Runs one task through the gateway and fills its record in place. It never
 * rejects: a failure becomes `status: failed` with the error's kind and message.
 */
export async function runTask(
  deps: TaskRunDeps,
  task: Task,
  values: Record<string, string>,
  record: TaskRecord,
  ctx: TaskRunContext,
): Promise<TaskOutcome> {
  // Tracing off: the call alone (no span name, attributes or closure per task).
  if (!tracingOn()) return runTaskCall(deps, task, values, record, ctx);
  // One span per task (its model calls are children); a failed task is an error span with its error kind.
  return inSpan(`task ${task.id}`, { attributes: { [ATTR.runId]: ctx.run_id, [ATTR.taskId]: task.id, 'mo.task.type': task.type } }, async (span) => {
    const outcome = await runTaskCall(deps, task, values, record, ctx);
    if (span) {
      span.setAttributes({ [ATTR.costUsd]: record.cost_usd, ...(record.model_used ? { 'gen_ai.response.model': record.model_used } : {}) });
      if (record.status === 'failed') failSpan(span, record.error, record.error?.kind);
    }
    return outcome;
  });
}

async function runTaskCall(
  deps: TaskRunDeps,
  task: Task,
  values: Record<string, string>,
  record: TaskRecord,
  ctx: TaskRunContext,
): Promise<TaskOutcome> {
  const started = deps.clock.now();
  const kind = KIND_FOR_TYPE[task.type];
  const choice = task.model
    ? { model: task.model }
    : routeWith(deps.traffic, 'routing.default_task_model', deps.config.routing.default_task_model, splitKey(ctx), ctx.request_id);
  const model = choice.model;
  const deadline = task.timeout_s === undefined ? ctx.runDeadline : Math.min(ctx.runDeadline, started + task.timeout_s * 1000);
  const request: GatewayRequest = {
    model,
    kind,
    messages: taskMessages(task, values, deps.catalog),
    max_tokens: task.max_tokens,
    temperature: task.temperature,
    signal: ctx.signal,
    deadline,
    // One literal (an absent field is undefined, which no reader tells from missing): no conditional spreads per call.
    context: {
      run_id: ctx.run_id,
      task_id: task.id,
      request_id: ctx.request_id,
      key_id: ctx.key_id || undefined,
      session_id: ctx.session_id ?? undefined,
      split: choice.split,
      cache: ctx.cache,
    },
  };
  try {
    const result = ctx.onDelta && kind === 'text' ? await streamCall(deps.gateway, request, ctx.onDelta) : await deps.gateway.call(request);
    ctx.ledger.add(result);
    record.model_used = result.model_used;
    record.fallback_used = result.fallback_used;
    record.calls = Math.max(1, result.attempts.filter((a) => a.outcome !== 'skipped').length);
    record.usage = result.usage;
    record.cost_usd = result.cost_usd;
    record.duration_ms = deps.clock.now() - started;
    const { text: output, media } = answerWithMedia(result);
    if (kind !== 'text' && media.length === 0) {
      record.status = 'failed';
      record.error = { kind: 'empty_output', message: `model '${result.model_used}' returned no ${kind}` };
      return { output: null, media: [] };
    }
    record.status = 'completed';
    if (media.length > 0) record.media = media;
    if (result.truncated) record.truncated = true;
    return { output, media };
  } catch (err) {
    const failure = summarizeFailure(err, ctx.signal);
    record.status = 'failed';
    record.error = { kind: failure.kind, message: failure.message };
    record.calls = failure.attempts;
    record.model_used = failure.model;
    record.duration_ms = deps.clock.now() - started;
    return { output: null, media: [] };
  }
}
