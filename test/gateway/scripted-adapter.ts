import { ProviderError, type ErrorCode, type ErrorKind } from '../../src/providers/provider-error.js';
import type { ProviderAdapter, ProviderRequest, ProviderResult, StreamChunk } from '../../src/providers/types.js';

/** What one scripted attempt does: answer, fail, or (for streams) emit chunks then maybe fail. */
export type Step =
  | { answer: string }
  | { fail: { kind: ErrorKind; code?: ErrorCode; status?: number; retryAfterMs?: number; message?: string } }
  /** Never answers: `true` gives up when the request's signal aborts, `'deaf'` ignores it. */
  | { hang: true | 'deaf' }
  /** Stream deltas (a `{ tool_call }` entry streams a tool call of that name), then finish, cut or just end. */
  | { chunks: Array<string | { tool_call: string }>; then?: 'finish' | 'cut' | 'end' };

export interface SeenCall {
  model: string;
  at: number;
  prefill?: string;
  stream: boolean;
  timeouts: ProviderRequest['timeouts'];
}

/**
 * An in-process adapter for gateway unit tests: per provider model id, a list
 * of steps played in order (the last one repeats). It records every call.
 */
export class ScriptedAdapter implements ProviderAdapter {
  readonly calls: SeenCall[] = [];
  private readonly counts = new Map<string, number>();

  constructor(
    readonly name: string,
    private readonly scripts: Record<string, Step[]>,
    readonly simulated = false,
  ) {}

  callsTo(model: string): SeenCall[] {
    return this.calls.filter((c) => c.model === model);
  }

  private next(req: ProviderRequest, stream: boolean): Step {
    this.calls.push({ model: req.model, at: performance.now(), prefill: req.prefill, stream, timeouts: req.timeouts });
    const steps = this.scripts[req.model] ?? [{ answer: `answer from ${req.model}` }];
    const n = this.counts.get(req.model) ?? 0;
    this.counts.set(req.model, n + 1);
    return steps[Math.min(n, steps.length - 1)]!;
  }

  private error(step: Extract<Step, { fail: unknown }>): ProviderError {
    return new ProviderError({ provider: this.name, message: step.fail.message ?? `${step.fail.kind} ${step.fail.code ?? ''}`, ...step.fail });
  }

  async generate(req: ProviderRequest): Promise<ProviderResult> {
    const step = this.next(req, false);
    if ('fail' in step) throw this.error(step);
    if ('hang' in step) return hang(req, step.hang);
    const text = 'answer' in step ? step.answer : step.chunks.filter((c) => typeof c === 'string').join('');
    return { text, usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }, finish_reason: 'stop', media: [], simulated: this.simulated };
  }

  async *stream(req: ProviderRequest): AsyncGenerator<StreamChunk> {
    const step = this.next(req, true);
    if ('fail' in step) throw this.error(step);
    if ('hang' in step) return hang(req, step.hang);
    const chunks = 'answer' in step ? [step.answer] : step.chunks;
    for (const [index, chunk] of chunks.entries()) {
      await new Promise((r) => setTimeout(r, 1));
      if (typeof chunk === 'string') yield { type: 'delta', text: chunk };
      else yield { type: 'tool_call', index, id: `call_${index}`, name: chunk.tool_call, arguments: '{}' };
    }
    const then = 'then' in step ? step.then : 'finish';
    if (then === 'cut') throw new ProviderError({ kind: 'server_error', code: 'truncated_stream', provider: this.name, message: 'cut' });
    if (then === 'end') return;
    yield { type: 'usage', usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 } };
    yield { type: 'finish', finish_reason: 'stop' };
  }
}

function hang(req: ProviderRequest, how: true | 'deaf'): Promise<never> {
  return new Promise<never>((_, reject) => {
    if (how === true) req.signal.addEventListener('abort', () => reject(req.signal.reason), { once: true });
  });
}
