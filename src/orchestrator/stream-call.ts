import type { Gateway, GatewayRequest, GatewayResult } from '../gateway/types.js';

/**
 * A gateway streaming call that reports each delta and then settles like
 * `gateway.call`: with the full result, or with the error that ended the stream.
 */
export async function streamCall(gateway: Gateway, request: GatewayRequest, onDelta: (text: string) => void): Promise<GatewayResult> {
  const stream = gateway.stream(request);
  // The result may reject while chunks are still being read; observe it now so it is never unhandled.
  stream.result.catch(() => undefined);
  for await (const chunk of stream.chunks) if (chunk.type === 'delta') onDelta(chunk.text);
  return stream.result;
}
