import type { Media, ToolCall, Usage } from '../providers/types.js';
import { costOf } from './cost.js';
import type { OutboundScrubber } from './outbound-scrub.js';
import type { ChainSuccess, GatewayEnv } from './run-chain.js';
import type { GatewayRequest, GatewayResult } from './types.js';

/** What the answering attempt produced. */
export interface Answer {
  text: string;
  usage: Usage;
  media: Media[];
  finish_reason: string;
  tool_calls?: ToolCall[];
  logprobs?: unknown;
  simulated: boolean;
}

/**
 * Prices the answer (only the successful call is billed), reports the
 * successful attempt on the bus and assembles the GatewayResult — with its text, media
 * and tool calls scrubbed by `outbound` when given (a call's result, made once; a stream's
 * result is scrubbed where it leaves, outbound-scrub.ts).
 */
export function settle(env: GatewayEnv, req: GatewayRequest, success: ChainSuccess<unknown>, answer: Answer, outbound?: OutboundScrubber): GatewayResult {
  const { model } = success;
  const simulated = answer.simulated || env.providerModes[model.provider] !== 'live';
  const cost = costOf(model.pricing, answer.usage, answer.media, simulated);
  env.bus.emit('attempt', {
    model: model.key,
    provider: model.provider,
    outcome: 'success',
    latency_ms: success.latencyMs,
    usage: answer.usage,
    cost_usd: cost,
    simulated,
    context: req.context ?? {},
  });
  return {
    text: outbound ? outbound.text(answer.text) : answer.text,
    media: outbound ? outbound.media(answer.media) : answer.media,
    usage: answer.usage,
    cost_usd: cost,
    model_used: model.key,
    provider: model.provider,
    fallback_used: success.fallbackUsed,
    attempts: success.attempts,
    finish_reason: answer.finish_reason,
    ...(answer.tool_calls && answer.tool_calls.length > 0 ? { tool_calls: outbound ? outbound.toolCalls(answer.tool_calls) : answer.tool_calls } : {}),
    ...(answer.logprobs !== undefined ? { logprobs: answer.logprobs } : {}),
    truncated: answer.finish_reason === 'length',
    simulated,
  };
}
