import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';

/**
 * Issue 17: text that is not valid Unicode is refused at the door on every endpoint — a lone
 * surrogate escaped in JSON (`"\ud800"`) and raw bytes that are not UTF-8 alike — with a 400 naming
 * the path; valid text (astral characters, a literal U+FFFD) is stored and returned exactly.
 */

const ADMIN = 'ops:admin-key-unicode-0123456789';
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ adminApiKeys: ADMIN });
});
afterAll(async () => {
  await t?.close();
});

/** Posts a body given as raw bytes, so escapes and invalid UTF-8 reach the server untouched. */
async function post(path: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(`${t.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, requestId: res.headers.get('x-request-id'), body: (await res.json()) as any };
}

/** A JSON text whose `marker` string is replaced by a lone-surrogate escape. */
const withLoneSurrogate = (value: unknown, escape = '\\ud800') => JSON.stringify(value).replace('LONE', escape);

/** A JSON text whose `marker` string is replaced by bytes that are not UTF-8 (0xFF, a truncated sequence). */
const withInvalidBytes = (value: unknown): Buffer => {
  const [before, after] = JSON.stringify(value).split('LONE');
  return Buffer.concat([Buffer.from(before!, 'utf8'), Buffer.from([0x61, 0xff, 0xe2, 0x82]), Buffer.from(after!, 'utf8')]);
};

const doors: { name: string; path: string; body: unknown; field: string; headers?: Record<string, string> }[] = [
  { name: '/chat', path: '/chat', body: { message: 'say LONE' }, field: 'body.message' },
  { name: '/chat session id', path: '/chat', body: { message: 'hi', session_id: 'sLONE' }, field: 'body.session_id' },
  {
    name: '/workflow',
    path: '/workflow',
    body: { workflow: { linear_queue: [{ id: 'a', prompt: 'about LONE' }] } },
    field: 'body.workflow.linear_queue.0.prompt',
  },
  { name: '/template/{name}', path: '/template/research_report', body: { variables: { topic: 'LONE' } }, field: 'body.variables.topic' },
  { name: '/admin/keys', path: '/admin/keys', body: { name: 'team LONE' }, field: 'body.name', headers: { authorization: `Bearer ${ADMIN.split(':')[1]}` } },
];

describe('text that is not valid Unicode', () => {
  it.each(doors)('$name: an escaped lone surrogate is a 400 naming $field', async ({ path, body, field, headers }) => {
    for (const escape of ['\\ud800', '\\uDFFF', '\\ud83d x']) {
      const res = await post(path, withLoneSurrogate(body, escape), headers);
      expect(res.status).toBe(400);
      expect(res.body.error.type).toBe('validation_error');
      expect(res.body.error.details).toContainEqual(expect.objectContaining({ path: field }));
      expect(res.body.error.request_id).toBe(res.requestId);
    }
  });

  it.each(doors)('$name: bytes that are not UTF-8 are a 400 naming the body and the byte', async ({ path, body, headers }) => {
    const bytes = withInvalidBytes(body);
    const res = await post(path, bytes, headers);
    expect(res.status).toBe(400);
    expect(res.body.error.type).toBe('validation_error');
    expect(res.body.error.details[0].path).toBe('body');
    expect(res.body.error.details[0].message).toContain(`byte ${bytes.indexOf(0xff)}`);
  });

  it('/v1/chat/completions: the same refusal in OpenAI\'s body, param naming the field', async () => {
    const body = { model: 'fast_ai', messages: [{ role: 'user', content: 'hi' }, { role: 'user', content: 'x LONE' }] };
    const escaped = await post('/v1/chat/completions', withLoneSurrogate(body));
    expect(escaped.status).toBe(400);
    expect(escaped.body.error).toMatchObject({ type: 'invalid_request_error', param: 'messages[1].content' });
    const invalid = await post('/v1/chat/completions', withInvalidBytes(body));
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.type).toBe('invalid_request_error');
  });

  it('a lone surrogate in an object key is refused too', async () => {
    const res = await post('/template/research_report', '{"variables":{"topic":"x","\\ud800":"y"}}');
    expect(res.status).toBe(400);
    expect(res.body.error.details).toContainEqual(expect.objectContaining({ path: 'body.variables' }));
  });

  it('valid text — astral characters, a paired surrogate escape, a literal U+FFFD — is stored and returned exactly', async () => {
    const message = 'café 😀 \uFFFD ｶﾀｶﾅ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 e\u0301';
    // The same text once as raw UTF-8 and once with the emoji as an escaped surrogate pair.
    const raw = JSON.stringify({ message, session_id: 'unicode-exact', category: 'L' });
    const escaped = raw.replace('😀', '\\ud83d\\ude00');
    for (const text of [raw, escaped]) expect((await post('/chat', text)).status).toBe(200);
    const session = (await (await fetch(`${t.url}/session/unicode-exact`)).json()) as { turns: { role: string; content: string }[] };
    const asked = session.turns.filter((turn) => turn.role === 'user').map((turn) => turn.content);
    expect(asked).toEqual([message, message]);
  });
});
