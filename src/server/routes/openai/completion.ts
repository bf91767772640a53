import type { CallerAbort } from '../../../caller-signal.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { batchesOf } from '../../../channel.js';
import type { GatewayResult, GatewayStream, GatewayStreamChunk } from '../../../gateway/types.js';
import type { ReportedMedia } from '../../../orchestrator/media-answer.js';
import { annotateRequest } from '../../../telemetry/request-log.js';
import { openAiErrorBody } from '../../plugins/openai-errors.js';
import { EventStreamWriter, hijackForEventStream } from '../../plugins/sse.js';
import type { ChatCompletion } from './schema.js';

/**
 * A gateway answer as an OpenAI `chat.completion`, or streamed as
 * `chat.completion.chunk` events; both carry this server's `x_*` fields
 * (`x_simulated` on every chunk, `x_run_id` when a workflow answered).
 */

/** What identifies one completion, plus what `auto` adds. */
export interface CompletionMeta {
  id: string;
  created: number;
  /** The run of the generated workflow that answered an `auto` request. */
  runId?: string;
  media?: ReportedMedia[];
}

/** A streamed completion's identity and options; `runId` and `media` are read when each chunk is written, so they may be learnt mid-stream. */
export interface StreamMeta extends CompletionMeta {
  includeUsage: boolean;
  /** The client's disconnect: `abort.signal` (an AbortSignal, made when asked for) for what needs one. */
  abort: CallerAbort;
}

/**
 * The `chat.completion` body, built field by field in ChatCompletionSchema's key order and with
 * only its fields (usage, tool calls and media copied, not passed through), so that plain
 * JSON.stringify writes the bytes zod's encode of the schema would: the route serialises it with
 * `completionJson` instead of walking it with zod first (completion.test.ts holds the two equal).
 */
export function completionBody(result: GatewayResult, meta: CompletionMeta): ChatCompletion {
  const calls = result.tool_calls ?? [];
  const { prompt_tokens, completion_tokens, total_tokens } = result.usage;
  const message: ChatCompletion['choices'][number]['message'] = {
    role: 'assistant',
    // OpenAI sends null content for an answer that only calls tools.
    content: calls.length > 0 && result.text === '' ? null : result.text,
  };
  if (calls.length > 0) message.tool_calls = calls.map((c) => ({ id: c.id, type: c.type, function: { name: c.function.name, arguments: c.function.arguments } }));
  const body: ChatCompletion = {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: result.model_used,
    choices: [{ index: 0, message, logprobs: result.logprobs ?? null, finish_reason: result.finish_reason }],
    usage: { prompt_tokens, completion_tokens, total_tokens },
    x_model_key: result.model_used,
    x_provider: result.provider,
    x_fallback_used: result.fallback_used,
    x_simulated: result.simulated,
    x_cost_usd: result.cost_usd,
    x_truncated: result.truncated,
    cache: result.cache ?? 'bypass',
  };
  if (meta.runId) body.x_run_id = meta.runId;
  if (meta.media && meta.media.length > 0) {
    body.x_media = meta.media.map((m) => ({ type: m.type, url: m.url, data_uri: m.data_uri, mime_type: m.mime_type, model_used: m.model_used }));
  }
  return body;
}

/**
 * Fastify's serializer for the route's 200 (`serializerCompiler` route option): JSON.stringify of
 * the body `completionBody` built, which already has exactly the schema's shape. The zod schema
 * stays on the route for the OpenAPI document; encoding with it as well (fastify-type-provider-zod's
 * serializer) walked every field a second time: ~11 µs of server CPU per request in
 * scripts/bench/http-layers-micro.ts.
 */
export const completionJson = () => (body: unknown): string => JSON.stringify(body);

/** A streamed tool call piece in OpenAI's delta shape; the first piece of a call names it (the SDKs require id, type and name). */
function toolCallDelta(c: Extract<GatewayStreamChunk, { type: 'tool_call' }>): Record<string, unknown> {
  const opens = c.id !== undefined || c.name !== undefined;
  return {
    index: c.index,
    ...(opens ? { id: c.id ?? `call_${c.index}`, type: 'function' } : {}),
    function: { ...(c.name !== undefined ? { name: c.name } : {}), ...(opens || c.arguments !== undefined ? { arguments: c.arguments ?? '' } : {}) },
  };
}

/**
 * Streams the answer as `chat.completion.chunk` events. Until the first delta
 * the call may still fail as a normal JSON error response; after, a failure is
 * sent in-band as `data: {"error": ...}` (OpenAI's body) and the stream ends without [DONE].
 */
export async function streamCompletion(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  stream: GatewayStream,
  meta: StreamMeta,
): Promise<FastifyReply> {
  // Chunks are taken in the batches they arrived in (one wake-up per upstream read, not per chunk: Channel.batches).
  const batches = batchesOf(stream.chunks);
  // Waiting for the first delta (or the end) before sending headers keeps early failures as real HTTP errors.
  const first = await batches.next();
  const done = first.done ? await stream.result : undefined;

  // Events written in one turn of the event loop leave in one socket write; a caller that hung up gets nothing more.
  // A stream still open a turn from now gets keep-alive comments (none for an answer written whole in this turn).
  const out = new EventStreamWriter(hijackForEventStream(reply), app.ctx.config.server.keep_alive_ms);
  const send = (payload: unknown) => {
    if (out.open) out.write(`data: ${JSON.stringify(payload)}\n\n`);
  };
  let model = first.done ? done!.model_used : first.value[0]!.model;
  let simulated = first.done ? done!.simulated : first.value[0]!.simulated;
  // Every chunk is written as JSON.stringify writes {id, object, created, model, choices: [{index, delta, logprobs,
  // finish_reason}], x_simulated, x_run_id?, ...extra} (the same bytes), without building that object: a stream is
  // mostly deltas, and the part that never changes is serialised once.
  const head = `data: {"id":${JSON.stringify(meta.id)},"object":"chat.completion.chunk","created":${JSON.stringify(meta.created)},"model":`;
  let modelJson = { of: model, json: JSON.stringify(model) };
  // `meta.runId` may be learnt mid-stream (an `auto` answer's workflow): its fragment is rebuilt when it changes.
  const runIdOf = (id: string | undefined) => ({ of: id, json: id ? `,"x_run_id":${JSON.stringify(id)}` : '' });
  let runId = runIdOf(meta.runId);
  const tailOf = (logprobs: unknown, finish: string | null, extra: string) => {
    if (runId.of !== meta.runId) runId = runIdOf(meta.runId);
    return `"logprobs":${JSON.stringify(logprobs)},"finish_reason":${JSON.stringify(finish)}}],"x_simulated":${JSON.stringify(simulated)}${runId.json}${extra}}\n\n`;
  };
  /** The tail of a plain delta (no logprobs, no finish, nothing extra): the same for every delta of a model's answer and run. */
  let plain = { simulated, runId: meta.runId, tail: tailOf(null, null, '') };
  /** One chunk event; `delta` and `extra` (`,"key":value` pairs) are already JSON. */
  const chunk = (delta: string, finish: string | null, logprobs: unknown = null, extra = '') => {
    if (!out.open) return;
    if (modelJson.of !== model) modelJson = { of: model, json: JSON.stringify(model) };
    let tail: string;
    if (logprobs !== null || finish !== null || extra !== '') tail = tailOf(logprobs, finish, extra);
    else {
      if (plain.simulated !== simulated || plain.runId !== meta.runId) plain = { simulated, runId: meta.runId, tail: tailOf(null, null, '') };
      tail = plain.tail;
    }
    out.write(`${head}${modelJson.json},"choices":[{"index":0,"delta":${delta},${tail}`);
  };
  const content = (text: string) => `{"content":${JSON.stringify(text)}}`;
  const toolCalls = (calls: unknown[]) => JSON.stringify({ tool_calls: calls });
  let streamed = false;
  const forward = (c: GatewayStreamChunk) => {
    model = c.model;
    simulated = c.simulated;
    streamed = true;
    if (c.type === 'delta') chunk(content(c.text), null, c.logprobs ?? null);
    else chunk(toolCalls([toolCallDelta(c)]), null);
  };

  try {
    const callsFirst = !first.done && first.value[0]!.type === 'tool_call';
    chunk(`{"role":"assistant","content":${callsFirst ? 'null' : '""'}}`, null);
    if (!first.done) {
      for (const c of first.value) forward(c);
      for (let next = await batches.next(); !next.done; next = await batches.next()) {
        for (const c of next.value) forward(c);
        // A client that reads slower than the answer comes is not written past its socket's buffer.
        const full = out.drained();
        if (full) await full;
      }
    }
    const result = done ?? (await stream.result);
    model = result.model_used;
    simulated = result.simulated;
    // An answer that arrived whole (a generated image's text, a workflow output that was not streamed) is sent as one delta.
    if (!streamed && result.text) chunk(content(result.text), null);
    if (!streamed && result.tool_calls) {
      result.tool_calls.forEach((call, index) => chunk(toolCalls([{ index, ...call }]), null));
    }
    annotateRequest(request, { model_used: result.model_used, cost_usd: result.cost_usd });
    chunk('{}', result.finish_reason, null, meta.media && meta.media.length > 0 ? `,"x_media":${JSON.stringify(meta.media)}` : '');
    if (meta.includeUsage) {
      send({ id: meta.id, object: 'chat.completion.chunk', created: meta.created, model, choices: [], usage: result.usage, x_simulated: simulated });
    }
    out.write('data: [DONE]\n\n');
  } catch (err) {
    const appError = request.server.outboundError(err);
    if (meta.abort.aborted) request.log.info('client closed the connection; its model calls were cancelled');
    else if (appError.type === 'internal_error') request.log.error({ err }, 'stream failed');
    else request.log.info({ error_type: appError.type, message: appError.message }, 'stream failed');
    send(openAiErrorBody(appError, request.id));
  } finally {
    out.end();
  }
  return reply;
}
