import { answerFor, pieces, sendJson, tokens, TINY_PNG_BASE64, writeStream, type Exchange } from './exchange.js';

/** The OpenAI chat-completions dialect of the fake provider. */

interface Message {
  role?: string;
  content?: unknown;
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
  const json = (ex.body.response_format as { type?: string } | undefined)?.type === 'json_object';
  const text = answerFor(lastUser, json, prefill, ex.faults);
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
    const deltas = pieces(text, ex.faults).map((p, i) => chunk(i === 0 ? { role: 'assistant', content: p } : { content: p }, null));
    const includeUsage = (ex.body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    const tail: unknown[] = [chunk({}, 'stop')];
    if (includeUsage) tail.push({ ...base, object: 'chat.completion.chunk', choices: [], usage });
    return writeStream(ex, deltas, tail, true);
  }

  if (ex.faults.has('malformed_body')) {
    ex.res.writeHead(200, { 'content-type': 'application/json' });
    return void ex.res.end('{"id": "broken", "choices": [');
  }
  const message: Record<string, unknown> = { role: 'assistant', content: text };
  if (wantsImage) message.images = [{ type: 'image_url', image_url: { url: `data:image/png;base64,${TINY_PNG_BASE64}` } }];
  sendJson(ex.res, 200, {
    ...base,
    object: 'chat.completion',
    choices: [{ index: 0, message, finish_reason: 'stop' }],
    usage,
  });
}

/** `GET /v1/models`. */
export const openAiModels = (): unknown => ({
  object: 'list',
  data: [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'fake-provider' }],
});
