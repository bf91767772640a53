import * as z from 'zod';

/**
 * `telemetry.tracing`: OpenTelemetry traces (README "Tracing", telemetry/tracing.ts). Tracing is on
 * when this section has an `endpoint` or when OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set; the standard OTEL_* variables win over these fields.
 * Read once at start-up (a config reload does not restart the exporter); `capture_content` follows
 * the active config version.
 */
export const TracingSchema = z
  .object({
    endpoint: z
      .url()
      .optional()
      .describe('OTLP/HTTP base URL of the collector, e.g. http://localhost:4318 (spans go to <endpoint>/v1/traces); OTEL_EXPORTER_OTLP_ENDPOINT wins'),
    protocol: z
      .enum(['http/protobuf', 'http/json'])
      .default('http/protobuf')
      .describe('OTLP encoding; OTEL_EXPORTER_OTLP_TRACES_PROTOCOL or OTEL_EXPORTER_OTLP_PROTOCOL win'),
    service_name: z.string().min(1).default('master-orchestrator').describe('service.name of the spans; OTEL_SERVICE_NAME wins'),
    capture_content: z
      .boolean()
      .default(false)
      .describe('put prompts and answers on model-call spans (gen_ai.input.messages, gen_ai.output.messages), secrets scrubbed; off: never'),
  })
  .strict();

export const TelemetrySchema = z
  .object({
    tracing: TracingSchema.default(TracingSchema.parse({})),
  })
  .strict();

export type TracingConfig = z.infer<typeof TracingSchema>;
