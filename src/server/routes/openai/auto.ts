import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Channel } from '../../../channel.js';
import type { Gateway, GatewayRequest, GatewayResult, GatewayStream, GatewayStreamChunk } from '../../../gateway/types.js';
import { answerWithMedia } from '../../../orchestrator/media-answer.js';
import type { ChatMessage, OutputKind } from '../../../providers/types.js';
import { annotateRequest } from '../../../telemetry/request-log.js';
import { completionBody, streamCompletion, type StreamMeta } from './completion.js';
import type { ChatCompletion } from './schema.js';

/**
 * The `auto` model on the OpenAI door, through the orchestrator's own routing
 * (orchestrator/auto.ts): one model answers with every request field, a
 * generation model answers with media (`x_media`, the text naming it), or a
 * generated workflow answers with its final output (`x_run_id`), streamed when asked.
 */

export interface AutoInput {
  messages: ChatMessage[];
  /** The request carries tools or fields a workflow could not honour. */
  directOnly: boolean;
  stream: boolean;
  meta: StreamMeta;
  /** The gateway request for one model of this output kind, with every request field. */
  build: (model: string, kind: OutputKind) => GatewayRequest;
  /** Throws 403 when the caller's key may not use this tier or model. */
  allow: (what: { tier?: string; model?: string }) => void;
  /** The gateway of the config version this request keeps. */
  gateway: Gateway;
  /** Answers through one model (streamed or not): the same path as a named model. */
  direct: (req: GatewayRequest) => Promise<ChatCompletion | FastifyReply>;
}

/** A finished answer as a stream of itself. */
function whole(result: GatewayResult): GatewayStream {
  const chunks = new Channel<GatewayStreamChunk>();
  chunks.end();
  return { chunks, result: Promise.resolve(result) };
}

export async function answerAuto(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, input: AutoInput): Promise<ChatCompletion | FastifyReply> {
  const { orchestrator } = app.ctx;
  const { meta, messages, gateway } = input;
  const routed = await orchestrator.routeAuto({ messages, signal: meta.abort.signal, request_id: request.id, key_id: request.clientKey?.id, direct_only: input.directOnly });
  if (routed.target === 'model') {
    input.allow({ tier: routed.category, model: routed.model });
    const req = input.build(routed.model, routed.kind);
    if (routed.split) req.context = { ...req.context, split: routed.split };
    if (routed.kind === 'text') return input.direct(req);
    // Generation has no token stream: the media, with a text naming it, as one answer.
    const result = await gateway.call(req);
    annotateRequest(request, { model_used: result.model_used, cost_usd: result.cost_usd });
    const { text, media } = answerWithMedia(result);
    meta.media = media;
    const answered = { ...result, text, media: [] };
    return input.stream ? streamCompletion(app, request, reply, whole(answered), meta) : completionBody(answered, meta);
  }

  input.allow({ tier: routed.category });
  if (!input.stream) {
    const answer = await orchestrator.answerAutoWorkflow({ messages, signal: meta.abort.signal, request_id: request.id, key_id: request.clientKey?.id });
    if (answer.run_id) meta.runId = answer.run_id;
    meta.media = answer.media;
    annotateRequest(request, { model_used: answer.result.model_used, cost_usd: answer.result.cost_usd });
    return completionBody(answer.result, meta);
  }
  const chunks = new Channel<GatewayStreamChunk>();
  const result = orchestrator
    .answerAutoWorkflow({
      messages,
      signal: meta.abort.signal,
      request_id: request.id,
      key_id: request.clientKey?.id,
      // The run id is known from the first task on, before any token of the answer.
      emit: (_event, data) => {
        const runId = (data as { run_id?: unknown }).run_id;
        if (meta.runId === undefined && typeof runId === 'string') meta.runId = runId;
      },
      onToken: (text, from) => chunks.push({ type: 'delta', text, model: from.model, simulated: from.simulated }),
    })
    .then((answer) => {
      if (answer.run_id) meta.runId = answer.run_id;
      meta.media = answer.media;
      return answer.result;
    });
  result.then(
    () => chunks.end(),
    (err: unknown) => chunks.fail(err),
  );
  return streamCompletion(app, request, reply, { chunks, result }, meta);
}
