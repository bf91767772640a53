import type { CircuitState, Gateway, GatewayRequest, GatewayResult } from '../../src/gateway/types.js';

/** A Gateway for unit tests: each call takes the next scripted answer (text, or an error to throw) and is recorded. */
export interface ScriptedGateway extends Gateway {
  requests: GatewayRequest[];
}

/** A successful answer of `model` with `text`, as the scripted gateways of tests give it. */
export const gatewayResult = (text: string, model: string): GatewayResult => ({
  text,
  media: [],
  usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
  cost_usd: 0.001,
  model_used: model,
  provider: 'test',
  fallback_used: false,
  attempts: [{ model, provider: 'test', outcome: 'success', duration_ms: 1 }],
  finish_reason: 'stop',
  truncated: false,
  simulated: false,
});

export function scriptedGateway(answers: (string | Error)[], circuit: CircuitState = 'closed'): ScriptedGateway {
  const requests: GatewayRequest[] = [];
  return {
    requests,
    call: async (req) => {
      requests.push(req);
      const next = answers.shift();
      if (next === undefined) throw new Error('no more scripted answers');
      if (next instanceof Error) throw next;
      return gatewayResult(next, req.model);
    },
    stream: () => {
      throw new Error('streaming is not scripted');
    },
    circuitState: () => circuit,
    health: async () => ({ models: {}, providers: {} }),
    close: async () => undefined,
  };
}
