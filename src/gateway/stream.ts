import { ProviderError } from '../providers/provider-error.js';
import { emptyUsage, type StreamChunk, type ToolCall, type Usage } from '../providers/types.js';
import { Channel } from '../channel.js';
import { continuationMismatch, Splicer, type ContinuationMode } from './continuation.js';
import type { OutboundScrubber } from './outbound-scrub.js';
import type { ResolvedModel } from './fallback.js';
import { settle } from './result.js';
import { currentSpan } from '../telemetry/spans.js';
import { runChain, type GatewayEnv } from './run-chain.js';
import type { GatewayRequest, GatewayStream, GatewayStreamChunk } from './types.js';

interface Segment {
  usage: Usage;
  finish_reason: string;
  simulated: boolean;
}

/**
 * A streaming call. Before any delta reached the caller, failures fall over as
 * for a plain call. After, the stream is continued by the next model of the chain,
 * whatever it is: first with the answer so far as an assistant prefill; when the
 * provider rejects the prefill (a 400) it is asked again without it, and its
 * regenerated answer is spliced in when it starts with what the client already
 * has (only the rest is sent). A provider that ignores the prefill and restarts
 * from the beginning is spliced the same way. Only when no model can extend the
 * answer does the stream end with an error — never a truncated success.
 * A stream that stalls is cut at `stream_idle_ms` and continued likewise.
 */
export function startStream(env: GatewayEnv, req: GatewayRequest, outbound?: OutboundScrubber): GatewayStream {
  const channel = new Channel<GatewayStreamChunk>();
  // With `outbound`, chunks are scrubbed as they are pushed (no extra iterator between the stream and its reader).
  const sink = outbound ? outbound.sink(channel) : channel;
  let sent = '';
  /** A stream that carried tool-call chunks cannot be continued elsewhere (a call cannot be half-made twice). */
  let toolCallsStreamed = false;
  /** The tool calls streamed so far, assembled by index for the result. */
  const toolCalls = new Map<number, ToolCall>();
  /** Models that rejected the prefill of this stream: their next attempt regenerates without it. */
  const noPrefill = new Set<string>();

  const modeFor = (model: ResolvedModel): ContinuationMode => {
    if (sent.length === 0) return 'fresh';
    // A configured model that declares no prefill support regenerates at once; any other tries the prefill first.
    const declinesPrefill = !model.adHoc && !model.capabilities.includes('assistant_prefill');
    return noPrefill.has(model.key) || declinesPrefill ? 'regenerate' : 'prefill';
  };

  const result = (async () => {
    const success = await runChain<Segment>(env, req, {
      skip: () => (toolCallsStreamed ? 'the stream already carried tool calls, which another model cannot continue' : undefined),
      prefill: (model) => (modeFor(model) === 'prefill' ? sent : undefined),
      retryNow: (model, failure) => {
        // A 400 to a prefilled request is most likely the prefill: ask once more without it.
        if (modeFor(model) !== 'prefill' || failure.kind !== 'client_error') return false;
        if (failure.code === 'content_filter' || failure.code === 'context_length_exceeded') return false;
        noPrefill.add(model.key);
        return true;
      },
      hedging: true,
      exhaustedMessage: () =>
        toolCallsStreamed
          ? 'the stream broke after it carried tool calls, which cannot be continued'
          : sent.length > 0
          ? 'the stream broke after it began and no fallback model could continue it'
          : 'every model in the fallback chain failed',
      attempt: async (adapter, model, preq, lane) => {
        const mode = modeFor(model);
        // A continued stream is marked on its attempt's span (call-trace.ts).
        if (mode !== 'fresh') currentSpan()?.addEvent('stream_continuation', { 'mo.mode': mode, 'mo.chars_sent': sent.length });
        const splicer = new Splicer(mode, sent, () => continuationMismatch(model.provider, model.key, mode));
        // The first output decides a hedge race; the loser stops here, having delivered nothing.
        let claimed = false;
        const claim = () => {
          if (claimed) return;
          if (!lane.claim()) throw lane.signal?.reason ?? new Error('cancelled');
          claimed = true;
        };
        const simulated = adapter.simulated || env.providerModes[model.provider] !== 'live';
        const deliver = (text: string, logprobs?: unknown) => {
          if (text.length === 0) return;
          sent += text;
          sink.push(logprobs === undefined ? { type: 'delta', text, model: model.key, simulated } : { type: 'delta', text, model: model.key, simulated, logprobs });
        };
        let usage: Usage | undefined;
        let finish: string | undefined;
        const take = (chunk: StreamChunk) => {
          if (chunk.type === 'delta') {
            if (chunk.text.length === 0) return;
            claim();
            deliver(splicer.push(chunk.text), chunk.logprobs);
          } else if (chunk.type === 'tool_call') {
            claim();
            toolCallsStreamed = true;
            const call = toolCalls.get(chunk.index) ?? { id: '', type: 'function' as const, function: { name: '', arguments: '' } };
            if (chunk.id) call.id = chunk.id;
            if (chunk.name) call.function.name += chunk.name;
            if (chunk.arguments) call.function.arguments += chunk.arguments;
            toolCalls.set(chunk.index, call);
            // Field by field: a spread copy with keys added (`{ ...chunk, model, simulated }`) takes V8's slow path (~0.8 µs a piece).
            sink.push({ type: 'tool_call', index: chunk.index, id: chunk.id, name: chunk.name, arguments: chunk.arguments, model: model.key, simulated });
          } else if (chunk.type === 'usage') usage = chunk.usage;
          else if (chunk.type === 'finish') finish = chunk.finish_reason;
        };
        // Pushed by the adapter as its wire is read (no promise per chunk), or iterated from adapters without the push form.
        if (adapter.streamInto) await adapter.streamInto(preq, take);
        else for await (const chunk of adapter.stream(preq)) take(chunk);
        if (finish === undefined) {
          throw new ProviderError({
            kind: 'server_error',
            code: 'truncated_stream',
            provider: model.provider,
            message: `the stream of '${model.key}' ended without finishing`,
          });
        }
        claim();
        deliver(splicer.end());
        return { usage: usage ?? emptyUsage(), finish_reason: finish, simulated: adapter.simulated };
      },
    });
    // Failed segments are not billed: the usage is the finishing segment's.
    const segment = success.value;
    const settled = settle(env, req, success, {
      text: sent,
      usage: segment.usage,
      media: [],
      finish_reason: segment.finish_reason,
      tool_calls: [...toolCalls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call),
      simulated: segment.simulated,
    });
    // The result is scrubbed here, before the sink ends (which flushes the deltas' held tails): no promise after it.
    return outbound ? outbound.result(settled) : settled;
  })();

  // Also observes the result: a caller that only reads the chunks sees its error there.
  result.then(
    () => sink.end(),
    (err: unknown) => sink.fail(err),
  );
  return { chunks: channel, result };
}
