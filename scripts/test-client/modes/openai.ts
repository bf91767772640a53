import OpenAI from 'openai';
import { preview } from '../format.js';
import { networkError } from '../http.js';
import { paint } from '../output.js';
import { Checks, type ModeContext, type ModeResult } from '../result.js';

/**
 * The `openai` mode: the official `openai` package against `<url>/v1`, as a
 * user's code would call it — list models, one plain completion routed with
 * `auto`, one streamed completion with usage.
 */

export async function openaiMode({ api, out, options }: ModeContext): Promise<ModeResult> {
  const client = new OpenAI({
    baseURL: `${api.baseUrl}/v1`,
    // The SDK insists on a key; a server without API_KEYS ignores it.
    apiKey: api.apiKey ?? 'unused',
    maxRetries: 0,
    timeout: options.timeoutMs,
  });
  const checks = new Checks();
  try {
    const models: string[] = [];
    for await (const model of client.models.list()) models.push(model.id);
    out.line(`GET /v1/models: ${models.length} models (${models.slice(0, 5).join(', ')}${models.length > 5 ? ', …' : ''})`);
    checks.that(models.includes('medium_ai'), "GET /v1/models does not list 'medium_ai'");

    const answer = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'Hello! In one sentence, what can you do?' }] });
    const text = answer.choices[0]?.message?.content ?? '';
    out.line(`non-stream (model auto → ${answer.model}): ${preview(text, 160)}`);
    out.line(paint(out, 'dim', `  usage ${answer.usage?.prompt_tokens ?? '?'} in / ${answer.usage?.completion_tokens ?? '?'} out, finish ${answer.choices[0]?.finish_reason}`));
    checks.that(text.trim() !== '', 'the non-streamed completion is empty');
    checks.that(answer.model && answer.model !== 'auto', `the response's model should name the model that answered, got '${answer.model}'`);
    checks.that(answer.usage && answer.usage.total_tokens > 0, 'the non-streamed completion has no usage');

    const stream = await client.chat.completions.create({
      model: 'medium_ai',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Count from one to five in words.' }],
    });
    let streamed = '';
    let chunks = 0;
    let usage: OpenAI.CompletionUsage | undefined;
    let streamModel = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      chunks++;
      streamModel = chunk.model || streamModel;
      streamed += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    out.line(`stream (model medium_ai → ${streamModel}): ${chunks} chunks: ${preview(streamed, 160)}`);
    out.line(paint(out, 'dim', `  usage ${usage?.prompt_tokens ?? '?'} in / ${usage?.completion_tokens ?? '?'} out, finish ${finish}`));
    checks.that(streamed.trim() !== '', 'the streamed completion is empty');
    checks.that(finish !== null, 'no chunk carried a finish_reason');
    checks.that(usage && usage.total_tokens > 0, 'stream_options.include_usage sent no usage chunk');
    return checks.result(`${models.length} models listed; auto answered by ${answer.model}; stream of ${chunks} chunks with usage`);
  } catch (err) {
    return { ok: false, details: describeSdkError(err, api.baseUrl, options.timeoutMs) };
  }
}

/** The SDK's errors in the client's words (status and the server's error body when there is one). */
function describeSdkError(err: unknown, baseUrl: string, timeoutMs: number): string {
  if (err instanceof OpenAI.APIConnectionTimeoutError) return `openai SDK: no answer from ${baseUrl}/v1 within ${Math.round(timeoutMs / 1000)} s`;
  if (err instanceof OpenAI.APIConnectionError) return networkError(err.cause ?? err, baseUrl, 'SDK', '/v1', timeoutMs).message;
  if (err instanceof OpenAI.APIError) {
    const body = err.error as { type?: string; message?: string } | undefined;
    const hint = err.status === 401 ? ' — pass --api-key or set API_KEY' : '';
    return `openai SDK: ${err.status ?? ''} ${body?.type ?? ''} ${body?.message ?? err.message}${hint}`.replace(/\s+/g, ' ').trim();
  }
  return `openai SDK: ${(err as Error)?.message ?? String(err)}`;
}
