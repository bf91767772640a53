import { context, diag, DiagLogLevel, propagation, trace } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { TracingConfig } from '../config/telemetry-schema.js';
import { useTracer } from './spans.js';

/** A started tracing pipeline (the OpenTelemetry SDK with an OTLP exporter). */
export interface Tracing {
  /** Where spans go (the signal URL, or `env` when the SDK takes it from OTEL_* variables). */
  readonly endpoint: string;
  readonly protocol: OtlpProtocol;
  /** Exports every ended span now (tests; shutdown calls it too). */
  forceFlush(): Promise<void>;
  /** Flushes what is pending, stops the exporter and turns span-making off. Idempotent. */
  shutdown(): Promise<void>;
}

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface TracingOptions {
  /** OTEL_* variables (process.env). */
  env: NodeJS.ProcessEnv;
  /** `telemetry.tracing` of the config at start-up. */
  config: TracingConfig;
  /** service.version of the spans. */
  serviceVersion: string;
  /** Where the SDK's own problems go (an unreachable collector): a warning each, never a crash. */
  log?: { warn(obj: object, msg: string): void };
  /** Export each span as it ends (SimpleSpanProcessor) instead of in batches (tests). */
  simple?: boolean;
  /** Replaces the OTLP exporter (the bench's no-op exporter, to measure span making alone). */
  exporter?: SpanExporter;
}

/** Whether traces are asked for: an OTLP endpoint in the environment or the config, and OTEL_SDK_DISABLED not true. */
export function tracingRequested(env: NodeJS.ProcessEnv, config: TracingConfig): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || config.endpoint);
}

/** The OTLP encoding: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else the config's. Throws on grpc or a typo. */
export function otlpProtocol(env: NodeJS.ProcessEnv, config: TracingConfig): OtlpProtocol {
  const named = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?.trim() || env.OTEL_EXPORTER_OTLP_PROTOCOL?.trim();
  const value = named || config.protocol;
  if (value === 'http/protobuf' || value === 'http/json') return value;
  throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL '${value}' is not supported: use http/protobuf or http/json (OTLP over HTTP)`);
}

/**
 * Starts OpenTelemetry tracing when it is asked for (tracingRequested), else returns undefined
 * having loaded nothing: the SDK is imported dynamically, so a server without tracing never
 * loads it and makes no spans (telemetry/spans.ts).
 *
 * The SDK reads the standard variables itself: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
 * (resource, over the config's service_name), OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG
 * (default parentbased_always_on: a caller's sampled flag is followed), OTEL_EXPORTER_OTLP_ENDPOINT /
 * _TRACES_ENDPOINT, _HEADERS, _TIMEOUT, _COMPRESSION, and OTEL_BSP_* for the batch processor.
 * The propagator is W3C Trace Context only (traceparent/tracestate, https://www.w3.org/TR/trace-context/):
 * a caller's baggage is not forwarded to model providers. Registers the tracer provider, the
 * AsyncLocalStorage context manager and the propagator globally (the OpenTelemetry API's
 * registration) and hands the tracer to spans.ts. Throws on an unsupported OTLP protocol.
 */
export async function startTracing(opts: TracingOptions): Promise<Tracing | undefined> {
  const { env, config } = opts;
  if (!tracingRequested(env, config)) return undefined;
  const protocol = otlpProtocol(env, config);
  const [{ NodeTracerProvider }, { BatchSpanProcessor, SimpleSpanProcessor }, { W3CTraceContextPropagator }, resources] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
  ]);
  const fromEnv = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
  const url = fromEnv || !config.endpoint ? undefined : `${config.endpoint.replace(/\/+$/, '')}/v1/traces`;
  const exporter =
    opts.exporter ??
    (protocol === 'http/json'
      ? new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter(url ? { url } : {})
      : new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter(url ? { url } : {}));

  if (opts.log) {
    const log = opts.log;
    diag.setLogger(
      {
        error: (message, ...args) => log.warn({ detail: args.map(String).join(' ') }, `opentelemetry: ${message}`),
        warn: (message, ...args) => log.warn({ detail: args.map(String).join(' ') }, `opentelemetry: ${message}`),
        info: () => undefined,
        debug: () => undefined,
        verbose: () => undefined,
      },
      { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
    );
  }

  // Later resources win: the config's name over the SDK default, OTEL_SERVICE_NAME/OTEL_RESOURCE_ATTRIBUTES over both.
  const resource = resources
    .defaultResource()
    .merge(resources.resourceFromAttributes({ 'service.name': config.service_name, 'service.version': opts.serviceVersion }))
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [opts.simple ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  useTracer(provider.getTracer('master-orchestrator', opts.serviceVersion));

  let stopped: Promise<void> | undefined;
  return {
    endpoint: url ?? 'env',
    protocol,
    forceFlush: () => provider.forceFlush(),
    shutdown: () =>
      (stopped ??= (async () => {
        useTracer(undefined);
        try {
          await provider.shutdown();
        } finally {
          trace.disable();
          context.disable();
          propagation.disable();
        }
      })()),
  };
}
