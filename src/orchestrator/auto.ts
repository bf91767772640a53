import type { CallerSignal } from '../caller-signal.js';
import type { SplitArm } from '../control/splits.js';
import { routeWith } from '../control/traffic.js';
import type { CallContext, GatewayRequest, GatewayResult } from '../gateway/types.js';
import type { ChatMessage, OutputKind } from '../providers/types.js';
import { createBudget } from './cancellation.js';
import { categorize } from './categorizer.js';
import type { OrchestratorDeps, RunPlanned } from './chat-types.js';
import { runGeneratedWorkflow } from './generated-run.js';
import { detectGeneration } from './generation-intent.js';
import type { Category } from './heuristic.js';
import { Ledger, roundUsd } from './ledger.js';
import type { ReportedMedia } from './media-answer.js';
import { chooseForPrompt } from './model-window.js';
import { streamCall, type TokenSink } from './stream-call.js';
import { promptSize } from './tokens.js';
import type { Emit } from './workflow/executor.js';

/**
 * The OpenAI door's `auto` model, routed as /chat routes: images → the vision
 * model, a request to create an image or video → the generation models, L/M →
 * the tier's model, H → a generated workflow whose final output is the answer.
 * A request that carries tools or sampling/format fields is answered by one
 * model (H → routing.strongest): a workflow could not honour them.
 */

/** Where an `auto` request goes: one model (of this output kind), or a generated workflow. */
export type AutoRoute =
  | { category: Category; target: 'model'; model: string; kind: OutputKind; split?: SplitArm }
  | { category: Category; target: 'workflow' };

export interface AutoRouteArgs {
  messages: ChatMessage[];
  signal: CallerSignal;
  request_id: string;
  /** The managed key billed for the categorizer's call (CallContext.key_id). */
  key_id?: string;
  /** The request carries tools or fields only one model call can honour. */
  direct_only: boolean;
}

/** The text of the last user message: what is categorized and planned. */
export function lastUserText(messages: ChatMessage[]): string {
  const last = [...messages].reverse().find((m) => m.role === 'user');
  if (!last) return '';
  return typeof last.content === 'string' ? last.content : last.content.map((p) => (p.type === 'text' ? p.text : '')).join('\n');
}

const hasImages = (messages: ChatMessage[]): boolean => messages.some((m) => Array.isArray(m.content) && m.content.some((p) => p.type === 'image_url'));

export async function routeAuto(deps: OrchestratorDeps, args: AutoRouteArgs): Promise<AutoRoute> {
  const { config } = deps;
  const text = lastUserText(args.messages);
  const categorization = await categorize(deps, { message: text, signal: args.signal, context: { request_id: args.request_id, ...(args.key_id ? { key_id: args.key_id } : {}) }, ledger: new Ledger() });
  const category = categorization.category;
  deps.bus.emit('request_categorized', { request_id: args.request_id, endpoint: '/v1/chat/completions', category, source: categorization.source });
  const inputSize = promptSize(args.messages);
  const images = hasImages(args.messages);
  if (images) return { category, target: 'model', model: (await chooseForPrompt(config, config.routing.vision, inputSize, ['text', 'vision'], true)).model, kind: 'text' };
  const generation = args.direct_only ? null : detectGeneration(text);
  if (generation) {
    return { category, target: 'model', model: generation === 'image' ? config.routing.image_generation : config.routing.video_generation, kind: generation };
  }
  const tier = config.routing.tiers[category];
  if (tier.handler !== 'direct' && !args.direct_only) return { category, target: 'workflow' };
  // No session on this door: a split follows the request id.
  const choice =
    tier.handler === 'direct'
      ? routeWith(deps.traffic, `routing.tiers.${category}.model`, tier.model, args.request_id, args.request_id)
      : routeWith(deps.traffic, 'routing.strongest', config.routing.strongest, args.request_id, args.request_id);
  const model = (await chooseForPrompt(config, choice.model, inputSize, ['text'], true)).model;
  return { category, target: 'model', model, kind: 'text', ...(choice.split && model === choice.split.arm ? { split: choice.split } : {}) };
}

export interface AutoWorkflowArgs {
  messages: ChatMessage[];
  signal: CallerSignal;
  request_id: string;
  /** The managed key billed for the planner, the run's tasks and the answer (CallContext.key_id). */
  key_id?: string;
  /** Progress events of the run (their data carries `run_id` from the first task on). */
  emit?: Emit;
  onToken?: TokenSink;
}

/** The answer of an H `auto` request, shaped like a gateway result; `run_id` is null when no valid plan could be made. */
export interface AutoWorkflowAnswer {
  run_id: string | null;
  result: GatewayResult;
  media: ReportedMedia[];
}

/** History an `auto` H request carries into its plan, in characters. */
const H_HISTORY_CHARS = 16_000;

/** The run's `request` variable: the last user message, after the recent conversation when there is one. */
function requestOf(messages: ChatMessage[], message: string, maxChars: number): string {
  const last = messages.map((m) => m.role).lastIndexOf('user');
  const past = messages.slice(0, Math.max(0, last)).filter((m) => m.role === 'user' || m.role === 'assistant');
  let transcript = '';
  for (const m of [...past].reverse()) {
    const line = `${m.role === 'user' ? 'User' : 'Assistant'}: ${lastUserText([{ ...m, role: 'user' }])}`;
    if (transcript.length + line.length > H_HISTORY_CHARS) break;
    transcript = transcript ? `${line}\n\n${transcript}` : line;
  }
  if (!transcript) return message;
  const combined = `Conversation so far:\n${transcript}\n\nCurrent request:\n${message}`;
  return combined.length <= maxChars ? combined : message;
}

/**
 * Plans and runs a workflow for an H `auto` request and answers with its final
 * output; without a valid plan, routing.strongest answers the conversation directly.
 * Usage and cost add up every call the answer took (planner and tasks included).
 */
export async function answerAutoWorkflow(deps: OrchestratorDeps, args: AutoWorkflowArgs, runPlanned: RunPlanned): Promise<AutoWorkflowAnswer> {
  const { config, clock } = deps;
  const started = clock.now();
  const budget = createBudget(args.signal, started + config.limits.default_timeout_s * 1000, () => clock.now());
  const ledger = new Ledger();
  const context: CallContext = { request_id: args.request_id, ...(args.key_id ? { key_id: args.key_id } : {}) };
  const route = (split: string, ref: Parameters<typeof routeWith>[2]) => routeWith(deps.traffic, split, ref, args.request_id, args.request_id);
  try {
    const message = lastUserText(args.messages);
    const generated = await runGeneratedWorkflow(
      deps,
      {
        message,
        request: requestOf(args.messages, message, config.limits.max_variable_chars),
        request_id: args.request_id,
        session_id: '',
        signal: budget.signal,
        deadline: budget.deadline,
        started,
        context,
        ledger,
        inputSize: promptSize(args.messages),
        route,
        emit: args.emit,
        onToken: args.onToken,
      },
      runPlanned,
    );
    if (!generated.plan) {
      const call: GatewayRequest = { model: route('routing.strongest', config.routing.strongest).model, kind: 'text', messages: args.messages, default_max_tokens: false, signal: budget.signal, deadline: budget.deadline, context };
      const result = args.onToken ? await streamCall(deps.gateway, call, args.onToken) : await deps.gateway.call(call);
      ledger.add(result);
      return { run_id: null, result: { ...result, usage: ledger.usage, cost_usd: roundUsd(ledger.cost_usd), simulated: ledger.simulated }, media: [] };
    }
    const { answer, run } = generated;
    return {
      run_id: run.run_id,
      media: answer.media,
      result: {
        text: answer.text,
        media: [],
        usage: ledger.usage,
        cost_usd: roundUsd(ledger.cost_usd),
        model_used: answer.model_used,
        provider: config.models[answer.model_used]?.provider ?? 'master-orchestrator',
        fallback_used: answer.fallback_used,
        attempts: [],
        finish_reason: answer.truncated ? 'length' : 'stop',
        truncated: answer.truncated,
        simulated: ledger.simulated,
      },
    };
  } finally {
    budget.dispose();
  }
}
