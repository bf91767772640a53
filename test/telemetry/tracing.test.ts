import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { TracingSchema } from '../../src/config/telemetry-schema.js';
import { startTracing, type Tracing } from '../../src/telemetry/tracing.js';
import { startTestApp, streamLogger, type TestApp } from '../helpers/app.js';
import { pointShippedConfigAt, TEST_ENV } from '../helpers/gateway-config.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js';
import { eventually } from '../orchestrator/support.js';
import { newRunRecord } from '../../src/orchestrator/workflow/executor.js';
import type { Workflow } from '../../src/orchestrator/workflow/types.js';
import { createMemoryStores } from '../../src/store/memory.js';

/**
 * Traces end to end: the server with tracing on (OTLP/HTTP JSON to an in-process receiver),
 * the fake provider for the tasks and a scripted upstream for the categorizer and the planner
 * (it answers "H" and a fixed plan, first an invalid one so the plan is repaired).
 */

const PLAN = {
  name: 'traced',
  linear_queue: [
    { id: 'facts', model: 'tfake', prompt: 'Facts about {{request}}' },
    { id: 'retried', model: 'tflaky', prompt: 'Another angle on {{request}}' },
    { id: 'fell_back', model: 'tbroken_fb', prompt: 'A third angle on {{request}}' },
    { id: 'extra', model: 'tbroken', prompt: 'An optional extra', optional: true },
  ],
};

interface Scripted {
  url: string;
  headers: IncomingHttpHeaders[];
  close(): Promise<void>;
}

/** An OpenAI-compatible upstream: the categorizer gets H, the planner an invalid plan first, then PLAN. */
async function startScripted(): Promise<Scripted> {
  const headers: IncomingHttpHeaders[] = [];
  let plans = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      headers.push(req.headers);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { messages: { role: string; content: string }[] };
      const categorizer = body.messages[0]!.content.startsWith('You categorize');
      const content = categorizer
        ? JSON.stringify({ category: 'H', reasoning: 'several steps' })
        : JSON.stringify(plans++ % 2 === 0 ? { linear_queue: [{ id: 'x', model: 'no_such_model', prompt: 'x' }] } : PLAN);
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: 'cmpl-1',
          object: 'chat.completion',
          model: 'scripted',
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    headers,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let receiver: OtlpReceiver;
let tracing: Tracing;
let fake: FakeProvider;
let scripted: Scripted;
let t: TestApp;
/** The server's log lines, raw. */
const lines: string[] = [];

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  fake = await startFakeProvider();
  scripted = await startScripted();
  // The exporter's endpoint from the config (OTEL_* would be read from process.env by the SDK).
  tracing = (await startTracing({
    env: {},
    config: TracingSchema.parse({ endpoint: receiver.url, protocol: 'http/json', service_name: 'mo-test' }),
    serviceVersion: 'test',
    simple: true,
  }))!;
  const sink = { write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean)) };
  t = await startTestApp({ logger: streamLogger(sink, 'debug'), env: TEST_ENV, config: testConfig });
});

/** The shipped config on the fake provider, the scripted categorizer and planner, and the test models. */
function testConfig(raw: Record<string, any>): void {
  pointShippedConfigAt(raw, fake.url);
  raw.providers.scripted = { type: 'openai_compatible', base_url: `${scripted.url}/v1`, api_key: '${FAKE_KEY}', rate_limits: { requests_per_minute: 10_000 } };
  const model = (provider: string, id: string, fallbacks: string[] = []) => ({
    provider,
    model: id,
    capabilities: ['text', 'json_output'],
    context_window: 100_000,
    pricing: { input_per_million: 1, output_per_million: 2 },
    fallbacks,
  });
  raw.models.tscripted = model('scripted', 'scripted-model');
  raw.models.tfake = model('openrouter', 'fake-model');
  raw.models.tflaky = model('openrouter', 'fault:fail_times_1/flaky-model');
  raw.models.tbroken_fb = model('openrouter', 'fault:server_error/broken-fb-model', ['tfake']);
  raw.models.tbroken = model('openrouter', 'fault:server_error/broken-model');
  raw.models.tcached = { ...model('openrouter', 'cached-model'), cache: { ttl_s: 600, temperature: true } };
  raw.models.tprefill = { ...model('openrouter', 'prefill-model'), capabilities: ['text', 'json_output', 'assistant_prefill'] };
  raw.models.tcut = model('openrouter', 'fault:stream_cut_2/cut-model', ['tprefill']);
  // The hedge starts at 100 ms; the slow model would answer after 5 s (far past any loaded scheduler's delay).
  raw.models.tslow = { ...model('openrouter', 'fault:slow_first_token_5000/slow-model', ['tfake']), timeouts: { hedge_after_ms: 100, first_byte_ms: 10_000, total_ms: 20_000 } };
  raw.routing.categorizer = 'tscripted';
  raw.routing.planner = 'tscripted';
}

afterAll(async () => {
  await t?.close();
  await tracing?.shutdown();
  await Promise.all([receiver?.close(), fake?.close(), scripted?.close()]);
});

beforeEach(() => {
  receiver.spans.length = 0;
  fake.reset();
});

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

/** Every span of one trace once the request's root span has been exported. */
async function traceOf(traceId: string, rootName: string): Promise<ReceivedSpan[]> {
  await eventually(async () => {
    await tracing.forceFlush();
    return receiver.spans.some((s) => s.traceId === traceId && s.name === rootName) ? true : undefined;
  }, 10_000);
  return receiver.spans.filter((s) => s.traceId === traceId);
}

/** POST /chat with `body` (JSON) to `url` (the shared server's by default). */
const chat = (body: Record<string, unknown>, headers: Record<string, string> = {}, url = t.url) =>
  fetch(`${url}/chat`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

const childrenOf = (spans: ReceivedSpan[], parent: ReceivedSpan) => spans.filter((s) => s.parentSpanId === parent.spanId);
const one = (spans: ReceivedSpan[], pick: (s: ReceivedSpan) => boolean): ReceivedSpan => {
  const found = spans.filter(pick);
  expect(found, `spans: ${spans.map((s) => s.name).join(', ')}`).toHaveLength(1);
  return found[0]!;
};

describe('OpenTelemetry traces', () => {
  it('an H request is one trace under the caller’s traceparent: categorize, plan and its repair, the workflow, each task, finisher, failure report, every attempt', async () => {
    const res = await chat({ message: 'Write a short report on tides' }, { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`, tracestate: 'vendor=abc' });
    const body = (await res.json()) as { category: string; workflow: { run: { run_id: string; status: string } } };
    expect(res.status).toBe(200);
    expect(body.category).toBe('H');
    expect(body.workflow.run.status).toBe('partial');
    expect(res.headers.get('x-trace-id')).toBe(TRACE_ID);

    const spans = await traceOf(TRACE_ID, 'POST /chat');
    // The HTTP span is the root of our part of the trace; its parent is the caller's span.
    const root = one(spans, (s) => s.name === 'POST /chat');
    expect(root.parentSpanId).toBe(CALLER_SPAN);
    expect(root.kind).toBe(2); // SERVER
    expect(root.service).toBe('mo-test');
    expect(root.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/chat',
      'http.response.status_code': 200,
      'mo.category': 'H',
      'mo.config_version': t.app.ctx.runtime.current().hash,
    });

    const categorize = one(childrenOf(spans, root), (s) => s.name === 'categorize');
    expect(categorize.attributes['mo.category']).toBe('H');
    const plan = one(childrenOf(spans, root), (s) => s.name === 'plan');
    expect(plan.attributes).toMatchObject({ 'mo.plan.repaired': true, 'mo.plan.tasks': 4 });
    one(childrenOf(spans, plan), (s) => s.name === 'plan repair');
    const workflow = one(childrenOf(spans, root), (s) => s.name === 'workflow');
    expect(workflow.attributes).toMatchObject({ 'mo.run_id': body.workflow.run.run_id, 'mo.run.status': 'partial' });

    const tasks = childrenOf(spans, workflow).filter((s) => s.name.startsWith('task '));
    expect(tasks.map((s) => s.attributes['mo.task_id']).sort()).toEqual(['extra', 'facts', 'fell_back', 'retried']);
    for (const task of tasks) expect(task.attributes['mo.run_id']).toBe(body.workflow.run.run_id);
    expect(one(tasks, (s) => s.name === 'task extra').attributes['error.type']).toBe('server_error');
    one(childrenOf(spans, workflow), (s) => s.name === 'finish');
    one(childrenOf(spans, workflow), (s) => s.name === 'failure report');

    // Every model call: a gateway span with GenAI attributes, and a CLIENT span per attempt.
    const gateways = spans.filter((s) => s.name.startsWith('gateway '));
    // categorizer, plan, repair, four tasks, finisher, failure reporter
    expect(gateways).toHaveLength(9);
    for (const g of gateways.filter((s) => s.status.code !== 2)) {
      expect(Object.keys(g.attributes)).toEqual(
        expect.arrayContaining([
          'gen_ai.operation.name',
          'gen_ai.request.model',
          'gen_ai.response.model',
          'gen_ai.provider.name',
          'gen_ai.usage.input_tokens',
          'gen_ai.usage.output_tokens',
          'gen_ai.response.finish_reasons',
          'mo.cost_usd',
        ]),
      );
    }
    const facts = one(spans, (s) => s.name === 'gateway tfake' && s.attributes['mo.task_id'] === 'facts');
    expect(facts.attributes).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.response.model': 'tfake', 'gen_ai.response.finish_reasons': ['stop'], 'mo.run_id': body.workflow.run.run_id });
    const [attempt] = childrenOf(spans, facts);
    expect(attempt!.kind).toBe(3); // CLIENT
    expect(attempt!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openrouter',
      'gen_ai.request.model': 'fake-model',
      'gen_ai.response.model': 'fake-model',
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(attempt!.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);

    // A retry: a failed attempt span, a retry event, then the attempt that answered.
    const retried = one(spans, (s) => s.name === 'gateway tflaky');
    const retriedAttempts = childrenOf(spans, retried);
    expect(retriedAttempts.map((s) => [s.attributes['mo.attempt'], s.attributes['error.type'] ?? 'ok'])).toEqual(
      expect.arrayContaining([
        [1, 'server_error'],
        [2, 'ok'],
      ]),
    );
    expect(retried.events.filter((e) => e.name === 'retry')).toHaveLength(1);
    // A fallback: the broken model's attempts failed, a fallback event, the fallback's attempt answered.
    const fellBack = one(spans, (s) => s.name === 'gateway tbroken_fb');
    expect(fellBack.attributes['gen_ai.response.model']).toBe('tfake');
    expect(fellBack.events.find((e) => e.name === 'fallback')?.attributes).toMatchObject({ 'mo.from': 'tbroken_fb', 'mo.to': 'tfake' });
    expect(childrenOf(spans, fellBack).map((s) => s.attributes['gen_ai.request.model'])).toContain('fake-model');
    // A call that failed for good is an error span with its error type.
    const broken = one(spans, (s) => s.name === 'gateway tbroken');
    expect(broken.status.code).toBe(2);
    expect(broken.attributes['error.type']).toBe('upstream_error');

    // Each attempt sent its own span as the provider's parent, in the caller's trace.
    const attemptIds = new Set(spans.filter((s) => s.kind === 3).map((s) => s.spanId));
    expect(fake.attempts.length).toBeGreaterThan(0);
    for (const a of fake.attempts) {
      const [, traceId, parentId] = a.headers.traceparent!.split('-');
      expect(traceId).toBe(TRACE_ID);
      expect(attemptIds.has(parentId!)).toBe(true);
      expect(a.headers.tracestate).toBe('vendor=abc');
    }
    expect(scripted.headers.every((h) => String(h.traceparent).includes(TRACE_ID))).toBe(true);
    // No prompt or answer in any span unless the config opts in.
    expect(JSON.stringify(spans)).not.toMatch(/tides/);

    // Every log line of the request carries its trace id, once (the request line and the model attempts included).
    const requestId = root.attributes['mo.request_id'];
    const ours = lines.filter((l) => l.includes(`"request_id":"${requestId}"`));
    expect(ours.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(expect.arrayContaining(['request completed', 'model attempt']));
    for (const line of ours) {
      expect(JSON.parse(line)).toMatchObject({ trace_id: TRACE_ID, span_id: expect.stringMatching(/^[\da-f]{16}$/) });
      expect(line.match(/"trace_id"/g)).toHaveLength(1);
    }
  });

  it('a run resumed after a restart continues the trace it was submitted under (its spans are children of the stored context)', async () => {
    const stores = createMemoryStores();
    const traceId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const submittedUnder = '1122334455667788';
    const workflow: Workflow = { name: 'resumed', inputs: {}, linear_queue: [{ id: 'cut', model: 'tfake', prompt: 'in flight at the crash', type: 'text', optional: false }], inline_queue: [] };
    const record = newRunRecord({ run_id: 'run-traced', workflow, variables: {}, session_id: null, started_at: new Date().toISOString(), config_version: 'old' });
    record.status = 'running';
    await stores.runs.create(record, {
      workflow,
      goal: 'resumed',
      request_id: 'req-traced',
      accepted_at: Date.now(),
      deadline: Date.now() + 60_000,
      trace: { traceparent: `00-${traceId}-${submittedUnder}-01` },
    });
    const second = await startTestApp({ stores, env: TEST_ENV, config: testConfig });
    try {
      const spans = await traceOf(traceId, 'workflow');
      const workflowSpan = one(spans, (s) => s.name === 'workflow');
      expect(workflowSpan.parentSpanId).toBe(submittedUnder);
      expect(workflowSpan.attributes).toMatchObject({ 'mo.run_id': 'run-traced', 'mo.resumed': 1, 'mo.run.status': 'completed' });
      const task = one(spans, (s) => s.name === 'task cut');
      expect(task.parentSpanId).toBe(workflowSpan.spanId);
      expect(fake.attempts[0]!.headers.traceparent).toContain(traceId);
    } finally {
      await second.close();
    }
  });

  it('without a traceparent a request starts its own trace, named in x-trace-id', async () => {
    const res = await chat({ message: 'hello', category: 'M', model: 'tfake' });
    expect(res.status).toBe(200);
    const traceId = res.headers.get('x-trace-id')!;
    expect(traceId).toMatch(/^[\da-f]{32}$/);
    const spans = await traceOf(traceId, 'POST /chat');
    const root = one(spans, (s) => s.name === 'POST /chat');
    expect(root.parentSpanId).toBeUndefined();
    expect(one(spans, (s) => s.name === 'categorize').attributes['mo.category']).toBe('M');
    expect(fake.attempts[0]!.headers.traceparent).toContain(traceId);
  });

  it('prompts and answers reach spans only with capture_content, and then without any key', async () => {
    const capturing = await startTestApp({
      env: TEST_ENV,
      config: (raw) => {
        testConfig(raw);
        raw.telemetry = { tracing: { capture_content: true } };
      },
    });
    try {
      const res = await chat({ message: 'my key is test-openrouter-key, keep it', category: 'M', model: 'tfake' }, {}, capturing.url);
      expect(res.status).toBe(200);
      const spans = await traceOf(res.headers.get('x-trace-id')!, 'POST /chat');
      const call = one(spans, (s) => s.name === 'gateway tfake');
      expect(call.attributes['gen_ai.input.messages']).toContain('my key is [redacted], keep it');
      expect(call.attributes['gen_ai.output.messages']).toContain('[redacted]');
      expect(JSON.stringify(spans)).not.toContain('test-openrouter-key');
    } finally {
      await capturing.close();
    }
  });

  it('a call that bypasses the cache is marked bypass through the traced call too (the response cache applies its mark inside the span)', async () => {
    const bypasses: unknown[] = [];
    const onCache = (e: { outcome: string; model: string }) => void (e.outcome === 'bypass' && e.model === 'tfake' && bypasses.push(e));
    const stop = t.app.ctx.bus.on('cache', onCache);
    try {
      const res = await chat({ message: 'a question for a model without a cache', category: 'M', model: 'tfake' });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-cache')).toBe('bypass');
      // The one model call (the category is given) was counted as a bypass: the cache's mark reached the traced call.
      expect(bypasses).toHaveLength(1);
    } finally {
      stop();
    }
  });

  it('a cached answer makes no model-call span; the request span has a cache_hit event', async () => {
    const ask = () => chat({ message: 'the same question', category: 'M', model: 'tcached' });
    await (await ask()).text();
    const res = await ask();
    expect(res.headers.get('x-cache')).toBe('hit');
    const spans = await traceOf(res.headers.get('x-trace-id')!, 'POST /chat');
    expect(spans.filter((s) => s.name.startsWith('gateway '))).toEqual([]);
    expect(one(spans, (s) => s.name === 'POST /chat').events).toContainEqual({ name: 'cache_hit', attributes: { 'gen_ai.request.model': 'tcached', 'gen_ai.response.model': 'tcached' } });
  });

  it('a stream cut and continued by the next model, and a hedged model: events on the call span and the attempts', async () => {
    const streamed = async (model: string) => {
      const res = await chat({ message: 'tell me about streams', category: 'M', model, stream: true });
      const text = await res.text();
      expect(text).toMatch(/event: done|event: result|"model_used"/);
      return traceOf(res.headers.get('x-trace-id')!, 'POST /chat');
    };
    const cut = await streamed('tcut');
    const cutCall = one(cut, (s) => s.name === 'gateway tcut');
    expect(cutCall.attributes['gen_ai.response.model']).toBe('tprefill');
    expect(cutCall.events.map((e) => e.name)).toContain('fallback');
    const continued = one(childrenOf(cut, cutCall), (s) => s.attributes['gen_ai.request.model'] === 'prefill-model');
    const event = continued.events.find((e) => e.name === 'stream_continuation')!;
    expect(event.attributes['mo.mode']).toBe('prefill');
    expect(event.attributes['mo.chars_sent']).toBeGreaterThan(0);

    const hedged = await streamed('tslow');
    const hedgedCall = one(hedged, (s) => s.name === 'gateway tslow');
    expect(hedgedCall.events.find((e) => e.name === 'hedge')?.attributes).toMatchObject({ 'mo.model': 'tslow', 'mo.hedge': 'tfake', 'mo.after_ms': 100 });
    const lost = one(childrenOf(hedged, hedgedCall), (s) => s.attributes['gen_ai.request.model'] === 'fault:slow_first_token_5000/slow-model');
    expect(lost.attributes['error.type']).toBe('hedge_lost');
    expect(hedgedCall.attributes['gen_ai.response.model']).toBe('tfake');
  });

  it('the Google adapter sends the attempt span as traceparent too', async () => {
    const res = await chat({ message: 'hello gemini', category: 'M', model: 'long_context_ai' });
    expect(res.status).toBe(200);
    const traceId = res.headers.get('x-trace-id')!;
    const spans = await traceOf(traceId, 'POST /chat');
    const attempt = one(spans, (s) => s.kind === 3 && s.attributes['gen_ai.provider.name'] === 'google_ai');
    const gemini = fake.attempts.find((a) => a.path.includes(':generateContent'))!;
    expect(gemini.headers.traceparent).toBe(`00-${traceId}-${attempt.spanId}-01`);
  });
});
