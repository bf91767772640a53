import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import type { Config } from '../config/schema.js';
import { isProviderError } from '../providers/provider-error.js';
import type { OutputKind, Usage } from '../providers/types.js';
import { scrubSecrets } from '../secrets.js';
import { activeTracer, ATTR, failSpan, startActiveSpan, traceHeaders, type TraceHeaders } from '../telemetry/spans.js';
import type { ResolvedModel } from './fallback.js';
import type { GatewayRequest, GatewayResult } from './types.js';

/**
 * The gateway's spans, with the OpenTelemetry GenAI semantic conventions
 * (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/):
 *
 * - one INTERNAL span per gateway call, `gateway <model>`: `gen_ai.operation.name`,
 *   `gen_ai.request.model` (the model key asked for), and when it ends `gen_ai.response.model`
 *   (the key that answered), `gen_ai.provider.name`, `gen_ai.usage.input_tokens`,
 *   `gen_ai.usage.output_tokens`, `gen_ai.response.finish_reasons`, `mo.cost_usd`, or `error.type`;
 *   `mo.run_id`/`mo.task_id` of the call. Its events: `retry`, `fallback`, `hedge`, `model_skipped`
 *   (`error.type` circuit_open — a breaker rejection —, limiter_wait, rate_limit_reset, capability...),
 *   `limiter_wait` (a wait that ended in a slot, `mo.wait_ms`);
 * - one CLIENT span per attempt that reached the provider, `<operation> <provider model id>`:
 *   `gen_ai.provider.name` (the provider's config name), `gen_ai.request.model` (the provider's
 *   model id), `gen_ai.response.model`, usage and finish reasons of the answering attempt,
 *   `error.type` (the wire's error code or kind) and `http.response.status_code` of a failed one;
 *   a stream continued on this attempt has a `stream_continuation` event (stream.ts).
 *   Its `traceparent` is what the provider receives.
 *
 * With `telemetry.tracing.capture_content`, the call span carries `gen_ai.input.messages` and
 * `gen_ai.output.messages` (JSON, scrubbed of every known secret); otherwise prompts and answers
 * never reach a span. With tracing off every function here returns at once.
 */

/** `gen_ai.operation.name` of a call: chat for text, generate_content for images and video. */
export function operationOf(kind: OutputKind | undefined): string {
  return kind === 'image' || kind === 'video' ? 'generate_content' : 'chat';
}

/**
 * Runs a gateway call inside its span (see above): `start` starts the call, and the span ends
 * when `result(started)` settles. `content`: the config version (capture_content) and the secrets
 * scrubbed from captured prompts.
 */
export function traceCall<T>(
  req: GatewayRequest,
  content: { config: Config; secrets: readonly string[] },
  start: () => T,
  result: (started: T) => Promise<GatewayResult>,
): T {
  if (!activeTracer()) return start();
  return startActiveSpan(
    `gateway ${req.model}`,
    {
      attributes: {
        'gen_ai.operation.name': operationOf(req.kind),
        'gen_ai.request.model': req.model,
        ...(req.max_tokens !== undefined ? { 'gen_ai.request.max_tokens': req.max_tokens } : {}),
        ...(req.temperature !== undefined ? { 'gen_ai.request.temperature': req.temperature } : {}),
        ...(req.context?.run_id ? { [ATTR.runId]: req.context.run_id } : {}),
        ...(req.context?.task_id ? { [ATTR.taskId]: req.context.task_id } : {}),
      },
    },
    (span) => {
      const started = start();
      result(started).then(
        (res) => {
          span!.setAttributes({
            'gen_ai.response.model': res.model_used,
            'gen_ai.provider.name': res.provider,
            ...usageAttributes(res.usage, res.finish_reason),
            [ATTR.costUsd]: res.cost_usd,
            'mo.fallback_used': res.fallback_used,
          });
          if (content.config.telemetry.tracing.capture_content) {
            span!.setAttributes({
              'gen_ai.input.messages': scrubSecrets(JSON.stringify(req.messages), content.secrets),
              'gen_ai.output.messages': scrubSecrets(JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: res.text }] }]), content.secrets),
            });
          }
          span!.end();
        },
        (err: unknown) => {
          failSpan(span!, err);
          span!.end();
        },
      );
      return started;
    },
  );
}

function usageAttributes(usage: Usage | undefined, finishReason: string | undefined): Attributes {
  return {
    ...(usage ? { 'gen_ai.usage.input_tokens': usage.prompt_tokens, 'gen_ai.usage.output_tokens': usage.completion_tokens } : {}),
    ...(finishReason ? { 'gen_ai.response.finish_reasons': [finishReason] } : {}),
  };
}

/** The events and attempt spans of one walk of the fallback chain (run-chain.ts). */
export interface ChainTrace {
  /** An event on the call span. */
  event(name: string, attributes: Attributes): void;
  /** An attempt about to be made on `model`; its span starts when the provider is called. */
  attempt(model: ResolvedModel, kind: OutputKind, attempt: number): AttemptTrace;
}

/** One attempt's span. */
export interface AttemptTrace {
  /** Runs the provider call inside the attempt's span; `call` gets the trace context to send. */
  run<T>(call: (headers: TraceHeaders | undefined) => Promise<T>): Promise<T>;
  succeeded(value: unknown): void;
  /** A failed attempt: a ProviderError (error.type its code or kind), or a cancellation/abort reason. */
  failed(err: unknown): void;
  cancelled(): void;
}

/** The attempt trace when tracing is off (run-chain makes the attempt without `run` then). */
export const NO_ATTEMPT: AttemptTrace = {
  run: (call) => call(undefined),
  succeeded: () => undefined,
  failed: () => undefined,
  cancelled: () => undefined,
};
const NO_CHAIN: ChainTrace = { event: () => undefined, attempt: () => NO_ATTEMPT };

/** The trace of a chain walk under the active (call) span; a no-op when tracing is off. */
export function chainTrace(): ChainTrace {
  const tracer = activeTracer();
  const callSpan = tracer ? trace.getActiveSpan() : undefined;
  if (!tracer || !callSpan) return NO_CHAIN;
  const parent = context.active();
  return {
    event: (name, attributes) => callSpan.addEvent(name, attributes),
    attempt: (model, kind, attempt) => {
      let span: Span | undefined;
      return {
        run: (call) => {
          span = tracer.startSpan(
            `${operationOf(kind)} ${model.model}`,
            {
              kind: SpanKind.CLIENT,
              attributes: {
                'gen_ai.operation.name': operationOf(kind),
                'gen_ai.provider.name': model.provider,
                'gen_ai.request.model': model.model,
                'mo.model': model.key,
                'mo.attempt': attempt,
              },
            },
            parent,
          );
          return context.with(trace.setSpan(parent, span), () => call(traceHeaders()));
        },
        succeeded: (value) => {
          if (!span) return;
          const answer = value as { usage?: Usage; finish_reason?: string } | undefined;
          span.setAttributes({ 'gen_ai.response.model': model.model, ...usageAttributes(answer?.usage, answer?.finish_reason) });
          span.end();
        },
        failed: (err) => {
          if (!span) return;
          if (isProviderError(err)) {
            if (err.status !== undefined) span.setAttribute('http.response.status_code', err.status);
            failSpan(span, err, err.code ?? err.kind);
          } else failSpan(span, err);
          span.end();
        },
        cancelled: () => {
          if (!span) return;
          span.setAttribute('error.type', 'hedge_lost');
          span.setStatus({ code: SpanStatusCode.UNSET });
          span.end();
        },
      };
    },
  };
}
