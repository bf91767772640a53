import type { Config } from '../../../config/schema.js';
import { validationError, type ErrorDetail } from '../../../errors.js';
import { resolveModel } from '../../../gateway/fallback.js';
import { imageProblems, visionProblem } from '../../../orchestrator/images.js';
import type { ChatMessage, ChatOptions, ContentPart, ProviderAdapter, ToolDefinition } from '../../../providers/types.js';
import { KNOWN_FIELDS, type ChatCompletionRequest } from './schema.js';

/**
 * Translation of an OpenAI Chat Completions request into gateway terms, and the
 * checks that make a field the target cannot honour a 400 naming it (never a
 * silent drop). Image references follow the same rules as /chat (one shared check).
 */

/** Marks a problem as a request field that cannot be honoured: the OpenAI error code for it. */
const UNSUPPORTED = 'unsupported_parameter';

/** Fields the caller sent that this server does not know: refused, not ignored. */
export function checkKnownFields(body: Record<string, unknown>): void {
  let unknown: string[] | undefined;
  for (const k in body) if (!KNOWN_FIELDS.has(k) && body[k] !== undefined && body[k] !== null) (unknown ??= []).push(k);
  if (unknown) {
    throw validationError(
      `unsupported request field${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`,
      unknown.map((k) => ({ path: k, message: `'${k}' is not supported by this endpoint`, code: UNSUPPORTED })),
    );
  }
}

/**
 * OpenAI messages as gateway messages (`developer` is a system message, a null
 * content an empty one; tool calls and tool results kept), within the configured
 * size limits; image references checked like /chat's.
 */
export function toMessages(body: ChatCompletionRequest, limits: Config['limits']): ChatMessage[] {
  let chars = 0;
  const images: Array<{ path: string; url: string }> = [];
  const messages = body.messages.map((m, i): ChatMessage => {
    let content: ChatMessage['content'];
    if (m.content === null || m.content === undefined) content = '';
    else if (typeof m.content === 'string') {
      chars += m.content.length;
      content = m.content;
    } else {
      content = m.content.map((p, j): ContentPart => {
        if (p.type === 'text') {
          chars += p.text.length;
          return { type: 'text', text: p.text };
        }
        images.push({ path: `messages.${i}.content.${j}.image_url.url`, url: p.image_url.url });
        return { type: 'image_url', image_url: { url: p.image_url.url } };
      });
    }
    // Field by field, not spread from conditional literals (three objects and two copies per message).
    const message: ChatMessage = { role: m.role === 'developer' ? 'system' : m.role, content };
    if (m.tool_calls && m.tool_calls.length > 0) {
      message.tool_calls = m.tool_calls;
      for (const call of m.tool_calls) chars += call.function.arguments.length;
    }
    if (m.tool_call_id) message.tool_call_id = m.tool_call_id;
    if (m.name) message.name = m.name;
    return message;
  });
  const problems: ErrorDetail[] = imageProblems(images, 'messages', limits);
  if (chars > limits.max_message_chars) {
    problems.push({ path: 'messages', message: `at most ${limits.max_message_chars} characters of text in total` });
  }
  if (problems.length > 0) throw validationError('invalid messages', problems);
  return messages;
}

/** Fields copied as they are (null and absent alike mean "not given"). */
const PLAIN_OPTIONS = [
  'top_p',
  'seed',
  'frequency_penalty',
  'presence_penalty',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'user',
  'n',
  'response_format',
  'tool_choice',
  'parallel_tool_calls',
  'reasoning_effort',
  'metadata',
] as const satisfies ReadonlyArray<keyof ChatOptions & keyof ChatCompletionRequest>;

/** The request's options in gateway terms: only the fields the caller gave (built without deletes, which slow objects down). */
export function toOptions(body: ChatCompletionRequest): ChatOptions {
  const options: Record<string, unknown> = {};
  for (const key of PLAIN_OPTIONS) {
    const value = body[key];
    if (value !== undefined && value !== null) options[key] = value;
  }
  if (body.stop !== undefined && body.stop !== null) options.stop = typeof body.stop === 'string' ? [body.stop] : body.stop;
  if (body.tools && body.tools.length > 0) options.tools = body.tools.map(toTool);
  return options as ChatOptions;
}

function toTool(tool: NonNullable<ChatCompletionRequest['tools']>[number]): ToolDefinition {
  const { name, description, parameters, strict } = tool.function;
  return {
    type: 'function',
    function: {
      name,
      ...(description !== undefined ? { description } : {}),
      ...(parameters !== undefined ? { parameters } : {}),
      ...(strict !== undefined && strict !== null ? { strict } : {}),
    },
  };
}

/** Checks that need no target: combinations the gateway itself cannot honour. */
export function checkOptions(options: ChatOptions): void {
  const problems: ErrorDetail[] = [];
  if (options.n !== undefined && options.n > 1) {
    problems.push({ path: 'n', message: 'only n=1 is supported: the gateway returns one answer per request', code: UNSUPPORTED });
  }
  if (options.top_logprobs !== undefined && !options.logprobs) {
    problems.push({ path: 'top_logprobs', message: 'top_logprobs needs logprobs: true' });
  }
  if (options.tool_choice !== undefined && options.tool_choice !== 'none' && !options.tools) {
    problems.push({ path: 'tool_choice', message: 'tool_choice needs tools' });
  }
  if (typeof options.tool_choice === 'object' && options.tools) {
    const wanted = options.tool_choice.function.name;
    if (!options.tools.some((t) => t.function.name === wanted)) problems.push({ path: 'tool_choice.function.name', message: `no tool named '${wanted}'` });
  }
  if (problems.length > 0) throw validationError(problems[0]!.message, problems);
}

/**
 * The requested model against this request: it must exist, see images when there
 * are some (400, as on /chat, not a 502), and its provider must honour every option.
 */
export function checkTarget(
  config: Config,
  adapters: Record<string, ProviderAdapter>,
  address: string,
  messages: ChatMessage[],
  options: ChatOptions,
): void {
  const model = resolveModel(config, address);
  if (!model) throw validationError(`unknown model '${address}'`, [{ path: 'model', message: `unknown model '${address}'`, code: 'model_not_found' }]);
  const hasImages = messages.some((m) => Array.isArray(m.content) && m.content.some((p) => p.type === 'image_url'));
  const vision = visionProblem(address, model.capabilities, hasImages);
  if (vision) throw validationError(vision, [{ path: 'model', message: vision }]);
  const refused = adapters[model.provider]?.unsupported?.(options, model.model) ?? [];
  if (refused.length > 0) {
    throw validationError(
      `model '${address}' cannot honour ${refused.map((r) => `'${r.param}'`).join(', ')}: ${refused[0]!.message}`,
      refused.map((r) => ({ path: r.param, message: `model '${address}' (provider '${model.provider}'): ${r.message}`, code: UNSUPPORTED })),
    );
  }
}

export function checkFallbacks(config: Config, fallbacks: string[] | undefined): void {
  const problems: ErrorDetail[] = [];
  fallbacks?.forEach((name, i) => {
    if (!resolveModel(config, name)) problems.push({ path: `fallbacks.${i}`, message: `unknown model '${name}'`, code: 'model_not_found' });
  });
  if (problems.length > 0) throw validationError('unknown fallback model', problems);
}
