import { ProviderError } from '../providers/provider-error.js';
import { emptyUsage, type Usage } from '../providers/types.js';
import { Channel } from './channel.js';
import { settle } from './result.js';
import { runChain, type GatewayEnv } from './run-chain.js';
import type { GatewayRequest, GatewayStream, GatewayStreamChunk } from './types.js';

interface Segment {
  usage: Usage;
  finish_reason: string;
  simulated: boolean;
}

/**
 * A streaming call. Before any delta reached the caller, failures fall over as
 * for a plain call. After, the answer so far is handed to the next model with
 * the `assistant_prefill` capability to continue; models without it are passed
 * by; when none is left the stream ends with an error. A stream that stops
 * without its finish chunk is a failure, never a success.
 */
export function startStream(env: GatewayEnv, req: GatewayRequest): GatewayStream {
  const channel = new Channel<GatewayStreamChunk>();
  let sent = '';
  let segmentDelivered = false;

  const result = (async () => {
    const success = await runChain<Segment>(env, req, {
      skip: (model) =>
        sent.length > 0 && !model.capabilities.includes('assistant_prefill')
          ? 'lacks the assistant_prefill capability needed to continue the cut stream'
          : undefined,
      prefill: () => (sent.length > 0 ? sent : undefined),
      mustMoveOn: () => segmentDelivered,
      exhaustedMessage: () =>
        sent.length > 0
          ? 'the stream broke after it began and no fallback model could continue it'
          : 'every model in the fallback chain failed',
      attempt: async (adapter, model, preq) => {
        segmentDelivered = false;
        let usage: Usage | undefined;
        let finish: string | undefined;
        for await (const chunk of adapter.stream(preq)) {
          if (chunk.type === 'delta') {
            if (chunk.text.length === 0) continue;
            sent += chunk.text;
            segmentDelivered = true;
            channel.push({ type: 'delta', text: chunk.text, model: model.key });
          } else if (chunk.type === 'usage') usage = chunk.usage;
          else if (chunk.type === 'finish') finish = chunk.finish_reason;
        }
        if (finish === undefined) {
          throw new ProviderError({
            kind: 'server_error',
            code: 'truncated_stream',
            provider: model.provider,
            message: `the stream of '${model.key}' ended without finishing`,
          });
        }
        return { usage: usage ?? emptyUsage(), finish_reason: finish, simulated: adapter.simulated };
      },
    });
    // Failed segments are not billed: the usage is the finishing segment's.
    const segment = success.value;
    return settle(env, req, success, {
      text: sent,
      usage: segment.usage,
      media: [],
      finish_reason: segment.finish_reason,
      simulated: segment.simulated,
    });
  })();

  result.then(
    () => channel.end(),
    (err: unknown) => channel.fail(err),
  );
  return { chunks: channel, result };
}
