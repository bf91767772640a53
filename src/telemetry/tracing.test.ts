import { describe, expect, it } from 'vitest';
import { TracingSchema } from '../config/telemetry-schema.js';
import { otlpProtocol, startTracing, tracingRequested } from './tracing.js';
import { tracingOn } from './spans.js';

const defaults = TracingSchema.parse({});

describe('when tracing is on', () => {
  it('is off by default: no endpoint anywhere starts nothing and makes no spans', async () => {
    expect(tracingRequested({}, defaults)).toBe(false);
    expect(await startTracing({ env: {}, config: defaults, serviceVersion: 't' })).toBeUndefined();
    expect(tracingOn()).toBe(false);
  });

  it('is on with OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or telemetry.tracing.endpoint; OTEL_SDK_DISABLED=true wins', () => {
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, defaults)).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }, defaults)).toBe(true);
    expect(tracingRequested({}, TracingSchema.parse({ endpoint: 'http://collector:4318' }))).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }, defaults)).toBe(false);
  });
});

describe('the OTLP protocol', () => {
  it('is http/protobuf unless OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, OTEL_EXPORTER_OTLP_PROTOCOL or the config says http/json', () => {
    expect(otlpProtocol({}, defaults)).toBe('http/protobuf');
    expect(otlpProtocol({}, TracingSchema.parse({ protocol: 'http/json' }))).toBe('http/json');
    expect(otlpProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, defaults)).toBe('http/json');
    expect(otlpProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }, defaults)).toBe('http/protobuf');
  });

  it('refuses grpc with a sentence naming the variable and what works', () => {
    expect(() => otlpProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, defaults)).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL 'grpc' is not supported: use http\/protobuf or http\/json/);
  });
});
