import { randomUUID } from 'node:crypto';
import type { Capability, ModelRef, Shadow } from '../config/schema.js';
import type { CallContext, GatewayRequest, GatewayResult } from '../gateway/types.js';
import type { ChatMessage, ContentPart, OutputKind } from '../providers/types.js';
import type { Turn } from '../store/types.js';
import { createBudget } from './cancellation.js';
import { categorize } from './categorizer.js';
import type { ChatOptions, ChatResponse, ChatWorkflowSummary, OrchestratorDeps, RunPlanned } from './chat-types.js';
import { addonMessages, fitHistory, loadHistory } from './context.js';
import { detectGeneration } from './generation-intent.js';
import { Ledger, roundUsd } from './ledger.js';
import { answerReserve, chooseForPrompt } from './model-window.js';
import { budgetMs, checkChatLimits, type ChatRequest } from './requests.js';
import { streamCall, type TokenSink } from './stream-call.js';
import { promptSize } from './tokens.js';
import type { Emit } from './workflow/executor.js';
import { answerWithMedia, type ReportedMedia } from './media-answer.js';
import { runGeneratedWorkflow } from './generated-run.js';
import type { SplitArm } from '../control/splits.js';
import type { CacheStatus } from '../cache/types.js';
import { routeWith } from '../control/traffic.js';
import { ATTR, currentSpan } from '../telemetry/spans.js';

/** History an H request carries into its plan, in tokens: enough for a follow-up, small enough for every task's prompt. */
const H_HISTORY_TOKENS = 4000;

/** The answer of one model call, as the response reports it. */
interface Answer {
  text: string;
  model_used: string;
  split?: SplitArm;
  fallback_used: boolean;
  truncated: boolean;
  media: ReportedMedia[];
  cache: CacheStatus;
}

/**
 * The /chat use case: context → categorize → route (vision, image/video
 * generation, tier) → fit the context window → answer directly (L/M) or plan
 * and run a workflow (H) → record the turn → the response of API.md.
 */
export async function chat(
  deps: OrchestratorDeps,
  req: ChatRequest,
  opts: ChatOptions,
  runPlanned: RunPlanned,
): Promise<ChatResponse> {
  const { config, clock, gateway } = deps;
  const started = clock.now();
  checkChatLimits(req, config);
  const emit: Emit = opts.emit ?? (() => undefined);
  const budget = createBudget(opts.signal, started + budgetMs(config, req.timeout_s), () => clock.now());
  const signal = budget.signal;
  const ledger = new Ledger();
  const sessionId = req.session_id ?? randomUUID();
  const context: CallContext = { request_id: opts.request_id, ...(opts.key_id ? { key_id: opts.key_id } : {}), session_id: sessionId, ...(req.cache !== undefined ? { cache: req.cache } : {}) };
  // A conversation keeps its split arm: assignment follows the session, or the request without one.
  const splitKey = req.session_id ?? opts.request_id;
  const route = (split: string, ref: ModelRef) => routeWith(deps.traffic, split, ref, splitKey, opts.request_id);
  try {
    const system = addonMessages(deps.catalog, req.addons);
    const history = await loadHistory(deps.stores.sessions, req.session_id, config.storage.history_turns);
    const categorization = await categorize(deps, {
      message: req.message,
      override: req.category,
      signal,
      deadline: budget.deadline,
      context,
      ledger,
    });
    currentSpan()?.setAttribute(ATTR.category, categorization.category);
    deps.bus.emit('request_categorized', { request_id: opts.request_id, endpoint: '/chat', category: categorization.category, source: categorization.source });
    emit('categorized', { request_id: opts.request_id, ...categorization });

    const images = req.images ?? [];
    const user: ChatMessage =
      images.length > 0
        ? { role: 'user', content: [{ type: 'text', text: req.message }, ...images.map((url): ContentPart => ({ type: 'image_url', image_url: { url } }))] }
        : { role: 'user', content: req.message };
    const inputSize = promptSize([...system, user]);
    const generation = images.length > 0 ? null : detectGeneration(req.message);
    const tier = config.routing.tiers[categorization.category];
    // Each token names the model that wrote it and whether the simulator did, as the run log's token events do.
    const onToken: TokenSink | undefined = req.stream
      ? (text, from) => emit('token', { request_id: opts.request_id, text, model: from.model, simulated: from.simulated })
      : undefined;

    const direct = async (
      preferred: string,
      kind: OutputKind,
      needs: Capability[],
      escalate: boolean,
      split?: SplitArm,
      answered?: (call: GatewayRequest, result: GatewayResult) => void,
    ): Promise<Answer> => {
      // A model the caller named must itself be allowed; a routed one is allowed by its tier too.
      opts.allow?.(req.model !== undefined ? { model: preferred } : { tier: categorization.category, model: preferred });
      // Generation models take a prompt, not a conversation; their window is not the constraint.
      const model = kind === 'text' ? (await chooseForPrompt(config, preferred, inputSize, needs, escalate)).model : preferred;
      const free = (config.models[model]?.context_window ?? 0) - answerReserve(config, model);
      const past = kind === 'text' ? await fitHistory(history, free - inputSize.bound, async () => free - (await inputSize.exact())) : [];
      const armed = split && model === split.arm ? split : undefined;
      const call: GatewayRequest = {
        model,
        kind,
        messages: [...system, ...past, user],
        signal,
        deadline: budget.deadline,
        context: armed ? { ...context, split: armed } : context,
      };
      const result = onToken && kind === 'text' ? await streamCall(gateway, call, onToken) : await gateway.call(call);
      ledger.add(result);
      answered?.(call, result);
      return { ...answerOf(result), ...(armed ? { split: armed } : {}) };
    };
    /** A routing reference answered directly, unless the caller named a model; a tier's shadow gets the same messages afterwards. */
    const directRef = (split: string, ref: ModelRef, shadow?: Shadow): Promise<Answer> => {
      if (req.model !== undefined) return direct(req.model, 'text', ['text'], false);
      const choice = route(split, ref);
      const offerShadow =
        shadow && deps.shadows
          ? (call: GatewayRequest, primary: GatewayResult) =>
              deps.shadows!.offer({ id: split.replace(/\.model$/, '.shadow'), route: split, shadow, gateway, messages: call.messages, primary, request_id: opts.request_id })
          : undefined;
      return direct(choice.model, 'text', ['text'], true, choice.split, offerShadow);
    };

    let answer: Answer;
    let workflow: ChatWorkflowSummary | null = null;
    let runId: string | null = null;
    if (images.length > 0) {
      answer = await direct(req.model ?? config.routing.vision, 'text', ['text', 'vision'], req.model === undefined);
    } else if (generation) {
      const model = generation === 'image' ? config.routing.image_generation : config.routing.video_generation;
      answer = await direct(model, generation, [], false);
    } else if (tier.handler === 'direct') {
      answer = await directRef(`routing.tiers.${categorization.category}.model`, tier.model, tier.shadow);
    } else {
      opts.allow?.({ tier: categorization.category });
      const request = await requestWithHistory(req.message, history, config.limits.max_variable_chars);
      const generated = await runGeneratedWorkflow(
        deps,
        { message: req.message, request, request_id: opts.request_id, session_id: sessionId, signal, deadline: budget.deadline, started, context, ledger, inputSize, route, emit: opts.emit, onToken, callback_url: req.callback_url },
        runPlanned,
      );
      if (generated.plan) {
        runId = generated.run.run_id;
        workflow = { plan: generated.plan, run: generated.run };
        // A generated workflow's answer is not cached as a whole; its tasks use the cache per their model's config (counted in /stats).
        answer = { ...generated.answer, cache: 'bypass' };
      } else {
        answer = await directRef('routing.strongest', config.routing.strongest);
        workflow = { plan: null, run: null, fallback_reason: generated.reason };
      }
    }

    const response: ChatResponse = {
      session_id: sessionId,
      request_id: opts.request_id,
      category: categorization.category,
      categorization,
      response: answer.text,
      model_used: answer.model_used,
      ...(answer.split ? { split: answer.split } : {}),
      fallback_used: answer.fallback_used,
      truncated: answer.truncated,
      workflow,
      usage: ledger.usage,
      cost_usd: roundUsd(ledger.cost_usd),
      duration_ms: clock.now() - started,
      simulated: ledger.simulated,
      ...(answer.media.length > 0 ? { media: answer.media } : {}),
      config_version: deps.config_version,
      cache: answer.cache,
    };
    await recordTurns(deps, sessionId, req.message, response, runId);
    return response;
  } finally {
    budget.dispose();
  }
}

function answerOf(result: GatewayResult): Answer {
  return { ...answerWithMedia(result), model_used: result.model_used, fallback_used: result.fallback_used, truncated: result.truncated, cache: result.cache ?? 'bypass' };
}

/** An H request's `request` variable: the message, preceded by the recent conversation when there is one. */
async function requestWithHistory(message: string, history: Turn[], maxChars: number): Promise<string> {
  const past = await fitHistory(history, H_HISTORY_TOKENS);
  if (past.length === 0) return message;
  const transcript = past.map((m) => `${m.role === 'user' ? 'User' : 'Assistant'}: ${String(m.content)}`).join('\n\n');
  const combined = `Conversation so far:\n${transcript}\n\nCurrent request:\n${message}`;
  return combined.length <= maxChars ? combined : message;
}

/** Stores the user turn and its answer together; a store failure is logged, not turned into a lost answer. */
async function recordTurns(deps: OrchestratorDeps, sessionId: string, message: string, res: ChatResponse, runId: string | null): Promise<void> {
  const at = new Date(deps.clock.now()).toISOString();
  const base = { category: res.category, request_id: res.request_id, run_id: runId, created_at: at };
  try {
    await deps.stores.sessions.appendTurns(sessionId, [
      { ...base, role: 'user', content: message, model_used: null, cost_usd: 0 },
      { ...base, role: 'assistant', content: res.response, model_used: res.model_used, cost_usd: res.cost_usd },
    ]);
  } catch (err) {
    deps.log.error({ err, session_id: sessionId, request_id: res.request_id }, 'recording the turn in the session failed');
  }
}
