import { answerFor, pieces, sendJson, tokens, TINY_PNG_BASE64, writeStream, type Exchange } from './exchange.js';
import { argumentsFor, callId, toolResultAnswer, toolToCall, type FakeTool } from './tools.js';

/** The OpenAI chat-completions dialect of the fake provider. */

interface Message {
  role?: string;
  content?: unknown;
}

/** The tool this request makes the fake call, if any (see tools.ts). */
function requestedTool(body: Record<string, unknown>, last: Message | undefined): FakeTool | undefined {
  if (last?.role === 'tool' || !Array.isArray(body.tools)) return undefined;
  const tools = (body.tools as Array<{ function?: FakeTool }>).map((t) => t.function).filter((f): f is FakeTool => typeof f?.name === 'string');
  const choice = body.tool_choice as string | { function?: { name?: string } } | undefined;
  return toolToCall(tools, typeof choice === 'object' ? choice.function?.name : undefined, choice === 'none');
}

const textOf = (content: unknown): string =>
  typeof content === 'string'
    ? content
    : Array.isArray(content)
      ? content
          .filter((p: { type?: string; text?: string }) => p?.type === 'text')
          .map((p: { text?: string }) => p.text ?? '')
          .join('\n')
      : '';

const messagesOf = (body: Record<string, unknown>): Message[] => (Array.isArray(body.messages) ? (body.messages as Message[]) : []);

/** True when the request ends with an assistant message (a prefill). */
export const openAiHasPrefill = (body: Record<string, unknown>): boolean => messagesOf(body).at(-1)?.role === 'assistant';

export async function answerOpenAi(ex: Exchange): Promise<void> {
  const messages = messagesOf(ex.body);
  const last = messages.at(-1);
  const prefill = last?.role === 'assistant' ? textOf(last.content) : undefined;
  const lastUser = textOf([...messages].reverse().find((m) => m.role === 'user')?.content);
  const format = (ex.body.response_format as { type?: string } | undefined)?.type;
  const json = format === 'json_object' || format === 'json_schema';
  const tool = requestedTool(ex.body, last);
  const text = tool || ex.faults.has('empty_answer') ? '' : last?.role === 'tool' ? toolResultAnswer(textOf(last.content)) : answerFor(lastUser, json, prefill, ex.faults);
  const call = tool && { id: callId(), type: 'function', function: { name: tool.name, arguments: JSON.stringify(argumentsFor(tool, lastUser)) } };
  const finishReason = call ? 'tool_calls' : ex.faults.has('abnormal_finish') ? 'error' : ex.faults.has('truncated') ? 'length' : 'stop';
  const promptTokens = tokens(messages.map((m) => textOf(m.content)).join('\n'));
  const usage = { prompt_tokens: promptTokens, completion_tokens: tokens(text), total_tokens: promptTokens + tokens(text) };
  const id = `chatcmpl-fake-${Date.now().toString(36)}`;
  const created = Math.floor(Date.now() / 1000);
  const base = { id, created, model: ex.model };
  const wantsImage = Array.isArray(ex.body.modalities) && ex.body.modalities.includes('image');

  if (ex.stream) {
    const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
      ...base,
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    // A tool call streams like OpenAI's: id, type and name first, then the arguments in pieces.
    const deltas = call
      ? [
          chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] }, null),
          ...pieces(call.function.arguments).map((p) => chunk({ tool_calls: [{ index: 0, function: { arguments: p } }] }, null)),
        ]
      : pieces(text, ex.faults).map((p, i) => chunk(i === 0 ? { role: 'assistant', content: p } : { content: p }, null));
    const includeUsage = (ex.body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    if (ex.faults.has('midstream_error')) {
      // OpenRouter's mid-stream failure: a top-level error and finish_reason "error" in one chunk, then [DONE].
      const failed = { ...chunk({ content: '' }, 'error'), error: { code: 'server_error', message: 'Provider disconnected unexpectedly' } };
      return writeStream(ex, deltas.slice(0, ex.faults.n('midstream_error', 2)), [failed], true);
    }
    const tail: unknown[] = [chunk({}, finishReason)];
    if (includeUsage) tail.push({ ...base, object: 'chat.completion.chunk', choices: [], usage });
    return writeStream(ex, ex.faults.has('empty_answer') ? [] : deltas, tail, true);
  }

  if (ex.faults.has('malformed_body')) {
    ex.res.writeHead(200, { 'content-type': 'application/json' });
    return void ex.res.end('{"id": "broken", "choices": [');
  }
  if (ex.faults.has('choice_error')) {
    // OpenRouter: 200, an empty message, finish_reason "error" and the upstream's failure inside the choice.
    const choice = { index: 0, message: { role: 'assistant', content: '' }, finish_reason: 'error', error: { code: 502, message: 'Upstream provider disconnected' } };
    return sendJson(ex.res, 200, { ...base, object: 'chat.completion', choices: [choice] });
  }
  if (ex.faults.has('empty_candidates')) return sendJson(ex.res, 200, { ...base, object: 'chat.completion', choices: [], usage });
  const message: Record<string, unknown> = call ? { role: 'assistant', content: null, tool_calls: [call] } : { role: 'assistant', content: text };
  if (wantsImage) message.images = [{ type: 'image_url', image_url: { url: `data:image/png;base64,${TINY_PNG_BASE64}` } }];
  sendJson(ex.res, 200, {
    ...base,
    object: 'chat.completion',
    choices: [{ index: 0, message, finish_reason: finishReason }],
    usage,
  });
}

/** `GET /v1/models`. */
export const openAiModels = (): unknown => ({
  object: 'list',
  data: [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'fake-provider' }],
});
