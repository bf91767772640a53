import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { pointShippedConfigAt, TEST_ENV } from '../helpers/gateway-config.js';
import { ANSWER, answerNormally, json, sse, startScriptedUpstream, type Exchange, type ScriptedUpstream } from './scripted-upstream.js';
import { streamCompletion } from './sse.js';

/**
 * Issue 11, every fault class again with other bytes than the issue's examples: other
 * providers' real error shapes (OpenAI, Anthropic relayed by OpenRouter, Google, xAI, Mistral,
 * DeepSeek, Groq), other statuses and other places (streamed and not, OpenAI wire and Gemini
 * wire), each written byte for byte by a tiny upstream (scripted-upstream.ts) and sent through
 * the whole server's `/v1/chat/completions` with ad-hoc `<provider>/<id>` models and fallbacks.
 * Waits are asserted as lower bounds measured at the upstream, never upper bounds.
 */

let up: ScriptedUpstream;
let t: TestApp;

beforeAll(async () => {
  up = await startScriptedUpstream();
  t = await startTestApp({
    env: TEST_ENV,
    config: (raw) => {
      pointShippedConfigAt(raw, up.url);
      // Roomy limits: the suite runs on a busy machine.
      raw.timeouts = { connect_ms: 2000, first_byte_ms: 2000, stream_idle_ms: 800, response_ms: 2000 };
      raw.error_handling.retry_after_cap_ms = 4000;
      raw.error_handling.rate_limit.max_retries = 1;
      raw.error_handling.server_error.max_retries = 1;
      // Configured models on scripted ids, for /chat and workflow tasks: medium_ai falls back to
      // long_context_ai (Gemini wire, answering normally); code_ai has no fallback.
      raw.models.medium_ai.model = 'chat-medium';
      raw.models.code_ai.model = 'task-code';
      raw.models.code_ai.fallbacks = [];
      // The same upstream under another name whose models hedge after 300 ms without a first token.
      raw.providers.hedged = { ...raw.providers.openrouter, timeouts: { hedge_after_ms: 300, first_byte_ms: 30_000 } };
    },
  });
});
afterAll(async () => {
  await t?.close();
  await up?.close();
});

const BACKUP = 'openrouter/backup-model';
const message = [{ role: 'user', content: 'Write thirty words.' }];

/** A non-streamed completion; the status and parsed body. */
async function complete(model: string, fallbacks: string[] = [BACKUP], extra: Record<string, unknown> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${t.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, fallbacks, messages: message, ...extra }),
  });
  return { status: res.status, body: await res.json() };
}

const streamed = (model: string, fallbacks: string[] = [BACKUP]) => streamCompletion(t.url, { model, fallbacks, messages: message });

/** The whole ANSWER from `answeredBy`, in one piece, as a success. */
function expectAnswered(r: { status: number; body: any }, answeredBy: string): void {
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect(r.body.choices[0].message.content).toBe(ANSWER);
  expect(r.body.model).toBe(answeredBy);
}

async function expectStreamed(model: string, answeredBy: string, fallbacks: string[] = [BACKUP]): Promise<void> {
  const out = await streamed(model, fallbacks);
  expect(out.status, JSON.stringify(out.body)).toBe(200);
  expect(out.error).toBeUndefined();
  expect(out.text).toBe(ANSWER);
  expect(out.finish).toBe('stop');
  expect(out.done).toBe(true);
  expect(out.models.at(-1)).toBe(answeredBy);
}

/** OpenAI-wire chunk frame (LF framing). */
const chunk = (model: string, delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta, finish_reason: finish, ...extra }] })}\n\n`;
/** The first `count` words of ANSWER as chunks. */
const firstWords = (model: string, count: number): string[] => ANSWER.split(/(?<= )/).slice(0, count).map((w) => chunk(model, { content: w }, null));
const sentWords = (count: number): string => ANSWER.split(/(?<= )/).slice(0, count).join('');

/** Fails every request to the model with this status, headers and body. */
const always = (status: number, body: unknown, headers: Record<string, string> = {}) => (x: Exchange) => json(x.res, status, body, headers);
/** Fails the first request with this status, headers and body; answers the next normally. */
const once = (status: number, body: unknown, headers: Record<string, string> = {}) => (x: Exchange) =>
  x.n === 0 ? json(x.res, status, body, headers) : answerNormally(x);

describe('A: a failure inside a normal-looking answer', () => {
  it('DeepSeek 200 with finish_reason "insufficient_system_resource" (not streamed) is a failed attempt: the fallback answers', async () => {
    up.script('deepseek-chat-a1', (x) =>
      json(x.res, 200, {
        id: 'x',
        object: 'chat.completion',
        model: 'deepseek-chat',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Partial ans' }, finish_reason: 'insufficient_system_resource' }],
        usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
      }),
    );
    expectAnswered(await complete('openrouter/deepseek-chat-a1'), BACKUP);
  });

  it('a 200 whose only content is whitespace and a null tool_calls is never a success', async () => {
    up.script('blank-a2', (x) =>
      json(x.res, 200, { id: 'x', object: 'chat.completion', model: 'blank', choices: [{ index: 0, message: { role: 'assistant', content: ' \n\n ', tool_calls: null, refusal: null }, finish_reason: 'stop' }] }),
    );
    expectAnswered(await complete('openrouter/blank-a2'), BACKUP);
  });

  it('a 200 with a top-level error object in Groq\'s shape (no choices) is a failed attempt', async () => {
    up.script('groq-a3', always(200, { error: { message: 'Service Unavailable', type: 'internal_server_error' } }));
    expectAnswered(await complete('openrouter/groq-a3'), BACKUP);
  });

  it('Gemini MALFORMED_FUNCTION_CALL with no parts (not streamed) is a failed attempt', async () => {
    up.script('gemini-a4', always(200, { candidates: [{ content: {}, finishReason: 'MALFORMED_FUNCTION_CALL', index: 0 }], usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 } }));
    expectAnswered(await complete('google_ai/gemini-a4'), BACKUP);
  });

  it('Gemini empty candidates with only usage metadata (streamed) is a failed attempt', async () => {
    up.script('gemini-a5', (x) => sse(x.res, [`data: ${JSON.stringify({ candidates: [], usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 }, modelVersion: 'gemini-2.5-flash' })}\r\n\r\n`]));
    await expectStreamed('google_ai/gemini-a5', BACKUP);
  });

  it('streamed: an abnormal finish reason with no error object after partial text is a break, continued by the fallback (never [DONE])', async () => {
    up.script('mistral-a6', (x) => sse(x.res, [...firstWords('m', 8), chunk('m', {}, 'error'), 'data: [DONE]\n\n']));
    await expectStreamed('openrouter/mistral-a6', BACKUP);
    const continued = up.seenFor('backup-model').at(-1)!;
    expect(continued.body.messages.at(-1)).toEqual({ role: 'assistant', content: sentWords(8) });
  });

  it('streamed Gemini: finishReason OTHER after partial text is a break, continued by the fallback', async () => {
    up.script('gemini-a7', (x) =>
      sse(x.res, [
        `data: ${JSON.stringify({ candidates: [{ content: { parts: [{ text: sentWords(5) }], role: 'model' }, index: 0 }] })}\r\n\r\n`,
        `data: ${JSON.stringify({ candidates: [{ content: { parts: [{ text: '' }], role: 'model' }, finishReason: 'OTHER', index: 0 }] })}\r\n\r\n`,
      ]),
    );
    await expectStreamed('google_ai/gemini-a7', BACKUP);
  });

  it('finish_reason "length" stays a success and is reported as truncated', async () => {
    up.script('long-a8', always(200, { id: 'x', object: 'chat.completion', model: 'l', choices: [{ index: 0, message: { role: 'assistant', content: 'Cut short' }, finish_reason: 'length' }] }));
    const r = await complete('openrouter/long-a8');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ model: 'openrouter/long-a8', x_truncated: true, choices: [{ finish_reason: 'length', message: { content: 'Cut short' } }] });
  });
});

describe('B: retry hints from every header on every retryable status', () => {
  const gap = (model: string) => {
    const seen = up.seenFor(model);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    return seen[1]!.at - seen[0]!.at;
  };

  it('503 with a fractional Retry-After (1.5 s) is waited out, then the same model answers', async () => {
    up.script('b1', once(503, { error: { message: 'Service temporarily unavailable', type: 'server_error' } }, { 'retry-after': '1.5' }));
    expectAnswered(await complete('openrouter/b1'), 'openrouter/b1');
    expect(gap('b1')).toBeGreaterThanOrEqual(1500);
  });

  it('529 with Retry-After as an HTTP-date is waited out', async () => {
    // HTTP-dates have whole seconds: 3 s ahead is at least 2 s after the first attempt.
    up.script('b2', (x) =>
      x.n === 0
        ? json(x.res, 529, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, { 'retry-after': new Date(Date.now() + 3000).toUTCString() })
        : answerNormally(x),
    );
    expectAnswered(await complete('openrouter/b2'), 'openrouter/b2');
    expect(gap('b2')).toBeGreaterThanOrEqual(2000);
  });

  it('429 with the token window spent (x-ratelimit-remaining-tokens: 0, reset "1.4s") is waited out', async () => {
    up.script(
      'b3',
      once(
        429,
        { error: { message: 'Rate limit reached for gpt-4o on tokens per min (TPM)', type: 'tokens', param: null, code: 'rate_limit_exceeded' } },
        { 'x-ratelimit-remaining-requests': '499', 'x-ratelimit-reset-requests': '120ms', 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '1.4s' },
      ),
    );
    expectAnswered(await complete('openrouter/b3'), 'openrouter/b3');
    expect(gap('b3')).toBeGreaterThanOrEqual(1400);
  });

  it('408 with retry-after-ms is waited out', async () => {
    up.script('b4', once(408, { error: { message: 'Request timed out', type: 'timeout' } }, { 'retry-after-ms': '1200' }));
    expectAnswered(await complete('openrouter/b4'), 'openrouter/b4');
    expect(gap('b4')).toBeGreaterThanOrEqual(1200);
  });

  it("Gemini 503 UNAVAILABLE with RetryInfo '1.3s' (streamed) is waited out", async () => {
    up.script(
      'gemini-b5',
      once(503, {
        error: {
          code: 503,
          message: 'The service is currently unavailable.',
          status: 'UNAVAILABLE',
          details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1.3s' }],
        },
      }),
    );
    await expectStreamed('google_ai/gemini-b5', 'google_ai/gemini-b5');
    expect(gap('gemini-b5')).toBeGreaterThanOrEqual(1300);
  });

  it('a hint beyond retry_after_cap_ms moves to the fallback at once', async () => {
    up.script('b6', always(429, { error: { message: 'Too many requests', type: 'requests', code: 'rate_limit_exceeded' } }, { 'retry-after': '30' }));
    expectAnswered(await complete('openrouter/b6'), BACKUP);
    expect(up.seenFor('b6')).toHaveLength(1);
    // The limiter learned "not before 30 s": the next caller is not sent to b6 at all.
    expectAnswered(await complete('openrouter/b6'), BACKUP);
    expect(up.seenFor('b6')).toHaveLength(1);
  });
});

describe('C: errors classified by one table, whatever the provider', () => {
  it('OpenAI 400 context_length_exceeded (not streamed): the fallback answers', async () => {
    up.script(
      'c1',
      always(400, {
        error: {
          message: "This model's maximum context length is 16385 tokens. However, your messages resulted in 20012 tokens. Please reduce the length of the messages.",
          type: 'invalid_request_error',
          param: 'messages',
          code: 'context_length_exceeded',
        },
      }),
    );
    expectAnswered(await complete('openrouter/c1'), BACKUP);
    expect(up.seenFor('c1')).toHaveLength(1);
  });

  it('Gemini 400 INVALID_ARGUMENT "input token count exceeds" (streamed): the fallback answers', async () => {
    up.script(
      'gemini-c2',
      always(400, { error: { code: 400, message: 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).', status: 'INVALID_ARGUMENT' } }),
    );
    await expectStreamed('google_ai/gemini-c2', BACKUP);
  });

  it("Mistral's flat 400 'too large for model with 32768 maximum context length': the fallback answers", async () => {
    up.script(
      'c3',
      always(400, {
        object: 'error',
        message: 'Prompt contains 40012 tokens and 0 draft tokens, too large for model with 32768 maximum context length',
        type: 'invalid_request_message_error',
        param: null,
        code: '3051',
      }),
    );
    expectAnswered(await complete('openrouter/c3'), BACKUP);
  });

  it("xAI's 400 with the message in a string `error` ('maximum prompt length'): the fallback answers", async () => {
    up.script('c4', always(400, { code: 'Client specified an invalid argument', error: "This model's maximum prompt length is 131072 but the request contains 140012 tokens." }));
    expectAnswered(await complete('openrouter/c4'), BACKUP);
  });

  it('Anthropic "credit balance is too low" relayed by OpenRouter as a 400 in metadata.raw: quota, the fallback at once', async () => {
    const raw = JSON.stringify({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.' },
    });
    up.script('c5', always(400, { error: { code: 400, message: 'Provider returned error', metadata: { raw, provider_name: 'Anthropic' } } }));
    expectAnswered(await complete('openrouter/c5'), BACKUP);
    expect(up.seenFor('c5')).toHaveLength(1);
  });

  it('DeepSeek 402 "Insufficient Balance" (streamed): the fallback at once', async () => {
    up.script('c6', always(402, { error: { message: 'Insufficient Balance', type: 'unknown_error', param: null, code: 'invalid_request_error' } }));
    await expectStreamed('openrouter/c6', BACKUP);
    expect(up.seenFor('c6')).toHaveLength(1);
  });

  it('Gemini 400 API_KEY_INVALID: an auth failure, the fallback (another provider) answers', async () => {
    up.script(
      'gemini-c7',
      always(400, {
        error: {
          code: 400,
          message: 'API key not valid. Please pass a valid API key.',
          status: 'INVALID_ARGUMENT',
          details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } }],
        },
      }),
    );
    expectAnswered(await complete('google_ai/gemini-c7'), BACKUP);
    expect(up.seenFor('gemini-c7')).toHaveLength(1);
  });

  it('DeepSeek 503 "Server overloaded" is retried, then falls back', async () => {
    up.script('c8', always(503, { error: { message: 'Server overloaded, please try again later.', type: 'service_unavailable_error' } }));
    expectAnswered(await complete('openrouter/c8'), BACKUP);
    expect(up.seenFor('c8')).toHaveLength(2);
  });

  it('OpenAI 404 model_not_found (a retired or misspelt model): not retried, the fallback answers', async () => {
    up.script('c10', always(404, { error: { message: 'The model `gpt-4-32k-0314` has been deprecated.', type: 'invalid_request_error', param: null, code: 'model_not_found' } }));
    expectAnswered(await complete('openrouter/c10'), BACKUP);
    expect(up.seenFor('c10')).toHaveLength(1);
  });

  it('Gemini 404 NOT_FOUND "is not found for API version" (streamed): the fallback answers', async () => {
    up.script('gemini-c11', always(404, { error: { code: 404, message: 'models/gemini-1.0-pro is not found for API version v1beta, or is not supported for generateContent.', status: 'NOT_FOUND' } }));
    await expectStreamed('google_ai/gemini-c11', BACKUP);
  });

  it('OpenRouter 403 moderation flag: a content-policy refusal answered to the caller, no fallback', async () => {
    up.script(
      'c9',
      always(403, { error: { code: 403, message: 'openai/gpt-4o requires moderation on OpenAI. Your input was flagged for "violence".', metadata: { reasons: ['violence'], flagged_input: 'Write…', provider_name: 'OpenAI', model_slug: 'openai/gpt-4o' } } }),
    );
    const before = up.seenFor('backup-model').length;
    const r = await complete('openrouter/c9');
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'content_filter' });
    expect(up.seenFor('backup-model')).toHaveLength(before);
  });
});

describe('E: stream framing read by a real event-stream parser', () => {
  it('CRLF line ends, `data:` without its space, OpenRouter keep-alive comments and an id field', async () => {
    up.script('e1', (x) => {
      const frames = [': OPENROUTER PROCESSING\r\n\r\n', ...firstWords(x.model, 200), chunk(x.model, {}, 'stop'), 'data: [DONE]\n\n'].map((f) =>
        f.replace(/^data: /, 'id: 7\r\ndata:').replace(/\n/g, '\r\n').replace(/\r\r/g, '\r'),
      );
      sse(x.res, frames);
    });
    await expectStreamed('openrouter/e1', 'openrouter/e1');
  });

  it('one event whose JSON is split over two data lines (multi-line data), with lone CR line ends', async () => {
    up.script('e2', (x) => {
      const whole = JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: x.model, choices: [{ index: 0, delta: { content: ANSWER }, finish_reason: null }] });
      const cut = whole.indexOf('"choices"');
      sse(x.res, [`data: ${whole.slice(0, cut)}\rdata: ${whole.slice(cut)}\r\r`, chunk(x.model, {}, 'stop').replace(/\n/g, '\r'), 'data: [DONE]\r\r']);
    });
    await expectStreamed('openrouter/e2', 'openrouter/e2');
  });

  it('a stream opening with a UTF-8 byte order mark and an `event:` field on every event', async () => {
    up.script('e4', (x) => {
      const frames = [...firstWords(x.model, 200), chunk(x.model, {}, 'stop'), 'data: [DONE]\n\n'].map((f) => `event: message\n${f}`);
      sse(x.res, ['\uFEFF' + frames[0]!, ...frames.slice(1)]);
    });
    await expectStreamed('openrouter/e4', 'openrouter/e4');
  });

  it('a stream request answered with a JSON error in a 200 (no event stream) is classified by its body: a context overflow, not retried as a cut', async () => {
    up.script('e5', always(200, { error: { message: "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens.", type: 'invalid_request_error', code: 'context_length_exceeded' } }));
    await expectStreamed('openrouter/e5', BACKUP);
    expect(up.seenFor('e5')).toHaveLength(1);
  });

  it('a stream request answered with one whole JSON completion (a server that ignores `stream`) is that answer, not a cut', async () => {
    up.script('e6', always(200, { id: 'x', object: 'chat.completion', model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: ANSWER }, finish_reason: 'stop' }] }));
    await expectStreamed('openrouter/e6', 'openrouter/e6');
    expect(up.seenFor('e6')).toHaveLength(1);
  });

  it("a Gemini stream request answered in streamGenerateContent's JSON-array form (no alt=sse) reads the whole answer", async () => {
    const part = (text: string, finish?: string) => ({ candidates: [{ content: { parts: [{ text }], role: 'model' }, ...(finish ? { finishReason: finish } : {}), index: 0 }] });
    up.script('gemini-e7', always(200, [part(ANSWER.slice(0, 12)), part(ANSWER.slice(12), 'STOP')]));
    await expectStreamed('google_ai/gemini-e7', 'google_ai/gemini-e7');
    expect(up.seenFor('gemini-e7')).toHaveLength(1);
  });

  it('a Gemini stream with LF line ends whose UTF-8 characters are split across packets', async () => {
    const text = 'naïve café — 日本語 ✓ ';
    up.script('gemini-e3', (x) => {
      x.res.writeHead(200, { 'content-type': 'text/event-stream' });
      const bytes = Buffer.from(
        [text, ANSWER]
          .map((part, i) => `data: ${JSON.stringify({ candidates: [{ content: { parts: [{ text: part }], role: 'model' }, ...(i === 1 ? { finishReason: 'STOP' } : {}), index: 0 }] })}\n\n`)
          .join(''),
      );
      // One byte at a time through the multi-byte characters.
      for (let i = 0; i < bytes.length; i += 1) x.res.write(bytes.subarray(i, i + 1));
      x.res.end();
    });
    const out = await streamed('google_ai/gemini-e3');
    expect(out).toMatchObject({ status: 200, text: text + ANSWER, finish: 'stop', done: true });
  });
});

describe('F: a broken stream is continued by any fallback', () => {
  it('a cut after the first tokens continued on an ad-hoc Gemini fallback as a model-role prefill', async () => {
    up.script('f1', (x) => {
      x.res.writeHead(200, { 'content-type': 'text/event-stream' });
      const frames = firstWords(x.model, 6);
      for (const f of frames.slice(0, -1)) x.res.write(f);
      // Cut once the six words have left: the client has them, the fallback must continue.
      x.res.write(frames.at(-1)!, () => x.res.destroy());
    });
    await expectStreamed('openrouter/f1', 'google_ai/gemini-f1-backup', ['google_ai/gemini-f1-backup']);
    const continued = up.seenFor('gemini-f1-backup')[0]!;
    expect(continued.body.contents.at(-1)).toMatchObject({ role: 'model' });
  });

  it("a fallback that rejects the prefill in Mistral's words (no 'prefill' in it) regenerates without it and splices", async () => {
    up.script('f2', (x) => sse(x.res, [...firstWords(x.model, 7)], { end: false }));
    up.script('f2-backup', (x) =>
      x.prefill !== undefined
        ? json(x.res, 400, { object: 'error', message: 'Expected last role User or Tool (or Assistant with prefix True) for serving but got assistant', type: 'invalid_request_message_error', param: null, code: '3230' })
        : answerNormally(x),
    );
    // f2 stalls after seven words: cut at stream_idle_ms.
    await expectStreamed('openrouter/f2', 'openrouter/f2-backup', ['openrouter/f2-backup']);
    expect(up.seenFor('f2-backup').map((s) => s.body.messages.at(-1).role)).toEqual(['assistant', 'user']);
  });

  it('hedging: a primary that sends its role chunk at once and then only empty deltas has no first token; the hedge (Gemini) answers and the primary is hung up on', async () => {
    let closed = false;
    up.script('f4', (x) => {
      sse(x.res, [chunk(x.model, { role: 'assistant', content: '' }, null)], { end: false });
      const timer = setInterval(() => x.res.write(chunk(x.model, { content: '' }, null)), 100);
      x.res.on('close', () => {
        clearInterval(timer);
        closed = true;
      });
    });
    await expectStreamed('hedged/f4', 'google_ai/gemini-f4-backup', ['google_ai/gemini-f4-backup']);
    await expect.poll(() => closed).toBe(true);
  });

  it('a fallback that answers the prefill with nothing (empty content, stop) is asked again without it and spliced, never a truncated success', async () => {
    up.script('f5', (x) => sse(x.res, [...firstWords(x.model, 6), chunk(x.model, {}, 'error'), 'data: [DONE]\n\n']));
    up.script('f5-backup', (x) =>
      x.prefill !== undefined
        ? sse(x.res, [chunk(x.model, { role: 'assistant', content: '' }, null), chunk(x.model, {}, 'stop'), 'data: [DONE]\n\n'])
        : answerNormally(x),
    );
    await expectStreamed('openrouter/f5', 'openrouter/f5-backup', ['openrouter/f5-backup']);
    expect(up.seenFor('f5-backup').map((s) => s.body.messages.at(-1).role)).toEqual(['assistant', 'user']);
  });

  it('a mid-stream Anthropic overloaded_error event relayed in-band (streamed): continued by the fallback', async () => {
    up.script('f3', (x) =>
      sse(x.res, [...firstWords(x.model, 4), `data: ${JSON.stringify({ error: { message: JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }), code: 502 } })}\n\n`, 'data: [DONE]\n\n']),
    );
    await expectStreamed('openrouter/f3', BACKUP);
  });
});

describe('D: the official openai client over real providers\' bytes', () => {
  const client = () => new OpenAI({ baseURL: `${t.url}/v1`, apiKey: 'not-checked', maxRetries: 0 });
  const weather = {
    type: 'function' as const,
    function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  };
  const time = { type: 'function' as const, function: { name: 'get_time', parameters: { type: 'object', properties: { tz: { type: 'string' } } } } };

  it("OpenAI's fragmented streamed tool_calls (two parallel calls, arguments in pieces) reach the client intact", async () => {
    up.script('d1', (x) => {
      const c = (delta: Record<string, unknown>, finish: string | null = null) => chunk(x.model, delta, finish);
      sse(x.res, [
        c({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_aaa', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
        c({ tool_calls: [{ index: 0, function: { arguments: '{"ci' } }] }),
        c({ tool_calls: [{ index: 0, function: { arguments: 'ty": "Par' } }] }),
        c({ tool_calls: [{ index: 0, function: { arguments: 'is"}' } }] }),
        c({ tool_calls: [{ index: 1, id: 'call_bbb', type: 'function', function: { name: 'get_time', arguments: '' } }] }),
        c({ tool_calls: [{ index: 1, function: { arguments: '{"tz":"CET"}' } }] }),
        c({}, 'tool_calls'),
        'data: [DONE]\n\n',
      ]);
    });
    const stream = client().chat.completions.stream({ model: 'openrouter/d1', messages: message as never, tools: [weather, time] });
    const done = await stream.finalChatCompletion();
    const choice = done.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.tool_calls?.map((c) => (c.type === 'function' ? [c.id, c.function.name, JSON.parse(c.function.arguments)] : c))).toEqual([
      ['call_aaa', 'get_weather', { city: 'Paris' }],
      ['call_bbb', 'get_time', { tz: 'CET' }],
    ]);
  });

  it('Gemini parallel functionCall parts (not streamed) come back as two tool calls, and the tool results go back as functionResponse parts', async () => {
    up.script('gemini-d2', (x) =>
      x.n === 0
        ? json(x.res, 200, {
            candidates: [
              {
                content: { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Oslo' } } }, { functionCall: { name: 'get_time', args: { tz: 'UTC' } } }] },
                finishReason: 'STOP',
                index: 0,
              },
            ],
            usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 4, totalTokenCount: 13 },
          })
        : answerNormally(x),
    );
    const first = await client().chat.completions.create({ model: 'google_ai/gemini-d2', messages: message as never, tools: [weather, time] });
    const calls = first.choices[0]!.message.tool_calls!;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(calls.map((c) => (c.type === 'function' ? [c.function.name, JSON.parse(c.function.arguments)] : c))).toEqual([
      ['get_weather', { city: 'Oslo' }],
      ['get_time', { tz: 'UTC' }],
    ]);
    const second = await client().chat.completions.create({
      model: 'google_ai/gemini-d2',
      tools: [weather, time],
      messages: [
        ...(message as never[]),
        first.choices[0]!.message,
        { role: 'tool', tool_call_id: calls[0]!.id, content: '{"temp":3}' },
        { role: 'tool', tool_call_id: calls[1]!.id, content: '{"time":"12:00"}' },
      ],
    });
    expect(second.choices[0]!.message.content).toBe(ANSWER);
    const contents = up.seenFor('gemini-d2')[1]!.body.contents as Array<{ role: string; parts: any[] }>;
    expect(contents.at(-2)!.parts.map((p) => p.functionCall?.name)).toEqual(['get_weather', 'get_time']);
    expect(contents.at(-1)!.parts.map((p) => p.functionResponse?.name)).toEqual(['get_weather', 'get_time']);
  });

  it('every model failing: an APIError whose status, type and code are set', async () => {
    up.script('d3', always(500, { error: { message: 'Internal error', type: 'server_error' } }));
    up.script('d3-backup', always(429, { error: { message: 'Rate limit exceeded: free-models-per-day', code: 429 } }, { 'retry-after': '60' }));
    const e = (await client()
      .chat.completions.create({ model: 'openrouter/d3', messages: message as never, fallbacks: ['openrouter/d3-backup'] } as never)
      .catch((err: unknown) => err)) as InstanceType<typeof OpenAI.APIError>;
    expect(e).toBeInstanceOf(OpenAI.APIError);
    expect(e.status).toBeGreaterThanOrEqual(400);
    expect(e.type).toBeTruthy();
    expect(e.code).toBeTruthy();
  });

  it("a stream broken after some words and continued by the fallback reads as one answer in the client's stream helper", async () => {
    up.script('d5', (x) => sse(x.res, [...firstWords(x.model, 9), chunk(x.model, {}, 'error'), 'data: [DONE]\n\n']));
    const stream = client().chat.completions.stream({ model: 'openrouter/d5', messages: message as never, fallbacks: [BACKUP] } as never);
    let deltas = '';
    stream.on('content', (delta) => (deltas += delta));
    const done = await stream.finalChatCompletion();
    expect(done.choices[0]!.message.content).toBe(ANSWER);
    expect(deltas).toBe(ANSWER);
    expect(done.choices[0]!.finish_reason).toBe('stop');
  });

  it('a stream no fallback can continue ends in an APIError thrown by the client, never a finished answer', async () => {
    up.script('d6', (x) => sse(x.res, [...firstWords(x.model, 9), chunk(x.model, {}, 'error'), 'data: [DONE]\n\n']));
    up.script('d6-backup', always(400, { error: { message: 'Invalid request', type: 'invalid_request_error' } }));
    const stream = client().chat.completions.stream({ model: 'openrouter/d6', messages: message as never, fallbacks: ['openrouter/d6-backup'] } as never);
    const e = await stream.finalChatCompletion().then(
      () => expect.unreachable('expected the stream to fail'),
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(OpenAI.APIError);
  });

  it('JSON schema output, streamed, with the client\'s parse helper', async () => {
    up.script('d4', (x) => {
      expect(x.body.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'city' } });
      sse(x.res, ['{"na', 'me": "Ly', 'on"}'].map((p) => chunk(x.model, { content: p }, null)).concat(chunk(x.model, {}, 'stop'), 'data: [DONE]\n\n'));
    });
    const stream = client().chat.completions.stream({
      model: 'openrouter/d4',
      messages: message as never,
      response_format: { type: 'json_schema', json_schema: { name: 'city', schema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] }, strict: true } },
    });
    const done = await stream.finalChatCompletion();
    expect(JSON.parse(done.choices[0]!.message.content!)).toEqual({ name: 'Lyon' });
  });
});

describe('accepts and never answers, stalls: keep-alives are not progress', () => {
  /** Writes `frame` every 150 ms until the gateway hangs up. */
  const keepAlive = (x: Exchange, frame: string) => {
    const timer = setInterval(() => x.res.write(frame), 150);
    x.res.on('close', () => clearInterval(timer));
  };

  it('a non-streamed answer whose headers came at once and whose body is whitespace forever is cut at response_ms: the fallback answers', async () => {
    up.script('k1', (x) => {
      x.res.writeHead(200, { 'content-type': 'application/json' });
      keepAlive(x, '\n');
    });
    expectAnswered(await complete('openrouter/k1'), BACKUP);
  });

  it('a stream of empty deltas after the role chunk and no token is cut at first_byte_ms: the fallback answers', async () => {
    up.script('k2', (x) => {
      sse(x.res, [chunk(x.model, { role: 'assistant', content: '' }, null)], { end: false });
      keepAlive(x, chunk(x.model, { content: '' }, null));
    });
    await expectStreamed('openrouter/k2', BACKUP);
  });

  it('a stream that goes on with empty deltas after some words is a stall, cut at stream_idle_ms and continued by the fallback', async () => {
    up.script('k3', (x) => {
      sse(x.res, firstWords(x.model, 5), { end: false });
      keepAlive(x, `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: x.model, choices: [{ index: 0, delta: { content: null, reasoning: null }, finish_reason: null }] })}\n\n`);
    });
    await expectStreamed('openrouter/k3', BACKUP);
    expect(up.seenFor('backup-model').at(-1)!.body.messages.at(-1)).toEqual({ role: 'assistant', content: sentWords(5) });
  });

  /** A streamGenerateContent chunk of `parts`, as Gemini frames it (CRLF). */
  const geminiFrame = (parts: Record<string, unknown>[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ candidates: [{ content: { parts, role: 'model' }, index: 0 }], usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 }, ...extra })}\r\n\r\n`;

  it('Gemini: a stream of empty-text parts (usage repeated on each) and no text is cut at first_byte_ms: the fallback answers', async () => {
    up.script('gemini-k5', (x) => {
      x.res.writeHead(200, { 'content-type': 'text/event-stream' });
      keepAlive(x, geminiFrame([{ text: '' }]));
    });
    await expectStreamed('google_ai/gemini-k5', BACKUP);
  });

  it('Gemini: a stream that goes on with empty parts after some words is a stall, cut at stream_idle_ms and continued by the fallback', async () => {
    up.script('gemini-k6', (x) => {
      x.res.writeHead(200, { 'content-type': 'text/event-stream' });
      x.res.write(geminiFrame([{ text: sentWords(5) }]));
      keepAlive(x, `data: ${JSON.stringify({ candidates: [], usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 } })}\r\n\r\n`);
    });
    await expectStreamed('google_ai/gemini-k6', BACKUP);
    expect(up.seenFor('backup-model').at(-1)!.body.messages.at(-1)).toEqual({ role: 'assistant', content: sentWords(5) });
  });

  it('reasoning deltas are progress: a thinking model reasoning past first_byte_ms is not cut', async () => {
    up.script('k4', (x) => {
      x.res.writeHead(200, { 'content-type': 'text/event-stream' });
      let sent = 0;
      // 2.4 s of reasoning (first_byte_ms is 2 s), one piece every 150 ms, then the answer.
      const timer = setInterval(() => {
        if (sent++ < 16) return void x.res.write(chunk(x.model, { content: '', reasoning: `step ${sent}. ` }, null));
        clearInterval(timer);
        for (const frame of [...firstWords(x.model, 100), chunk(x.model, {}, 'stop'), 'data: [DONE]\n\n']) x.res.write(frame);
        x.res.end();
      }, 150);
      x.res.on('close', () => clearInterval(timer));
    });
    await expectStreamed('openrouter/k4', 'openrouter/k4');
    expect(up.seenFor('k4')).toHaveLength(1);
  });
});

describe('other places: /chat and workflow tasks', () => {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${t.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, text: await res.text() };
  };
  /** Together's 500 relayed by OpenRouter inside a 200: as one answer, or as a chunk after five words. */
  const choiceError = (x: Exchange) => {
    const error = { code: 500, message: 'Internal Server Error', metadata: { provider_name: 'Together' } };
    if (!x.stream) return json(x.res, 200, { id: 'gen-1', object: 'chat.completion', model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: '' }, finish_reason: 'error', native_finish_reason: 'error', error }] });
    sse(x.res, [...firstWords(x.model, 5), `data: ${JSON.stringify({ id: 'gen-1', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error', error }] })}\n\n`, 'data: [DONE]\n\n']);
  };

  it('/chat: a choice-level error inside a 200 is a failed attempt, the configured fallback answers', async () => {
    up.script('chat-medium', choiceError);
    const r = await post('/chat', { message: 'hello', category: 'M' });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toMatchObject({ response: ANSWER, model_used: 'long_context_ai', fallback_used: true });
  });

  it('/chat streamed: the error chunk after five words is a break, continued by the fallback (Gemini, as a model prefill)', async () => {
    up.script('chat-medium', choiceError);
    const r = await post('/chat', { message: 'hello', category: 'M', stream: true });
    const completed = /event: completed\ndata: (.*)\n/.exec(r.text);
    expect(completed, r.text).not.toBeNull();
    expect(JSON.parse(completed![1]!)).toMatchObject({ response: ANSWER, model_used: 'long_context_ai' });
    const tokens = [...r.text.matchAll(/event: token\ndata: (.*)\n/g)].map((m) => (JSON.parse(m[1]!) as { text: string }).text).join('');
    expect(tokens).toBe(ANSWER);
    expect(up.seenFor('gemini-2.5-flash').at(-1)!.body.contents.at(-1)).toEqual({ role: 'model', parts: [{ text: sentWords(5) }] });
  });

  it('a workflow task whose model answered only whitespace is failed, never completed with an empty output', async () => {
    up.script('task-code', always(200, { id: 'x', object: 'chat.completion', model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: '\n \n' }, finish_reason: 'stop' }] }));
    const r = await post('/workflow', { workflow: { name: 'w', linear_queue: [{ id: 'a', model: 'code_ai', prompt: 'say something' }] } });
    const run = JSON.parse(r.text) as { status: string; output: unknown; tasks: Array<{ status: string; error: unknown }> };
    expect(run.status).toBe('failed');
    expect(run.output).toBeNull();
    expect(run.tasks[0]).toMatchObject({ status: 'failed' });
  });
});
