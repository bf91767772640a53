import { batchesOf } from '../channel.js';
import type { Gateway, GatewayRequest, GatewayResult } from '../gateway/types.js';

/** Where a streamed piece of text came from: the model that wrote it and whether the simulator did. */
export interface TokenSource {
  model: string;
  simulated: boolean;
}

/** Receives each streamed piece of an answer's text. */
export type TokenSink = (text: string, from: TokenSource) => void;

/**
 * A gateway streaming call that reports each text delta and then settles like
 * `gateway.call`: with the full result, or with the error that ended the stream.
 */
export async function streamCall(gateway: Gateway, request: GatewayRequest, onDelta: TokenSink): Promise<GatewayResult> {
  const stream = gateway.stream(request);
  // The result may reject while chunks are still being read; observe it now so it is never unhandled.
  stream.result.catch(() => undefined);
  // The chunks in the batches they arrived in: one wake-up per upstream read, not per delta (Channel.batches).
  for await (const batch of batchesOf(stream.chunks)) {
    for (const chunk of batch) if (chunk.type === 'delta') onDelta(chunk.text, { model: chunk.model, simulated: chunk.simulated });
  }
  return stream.result;
}
