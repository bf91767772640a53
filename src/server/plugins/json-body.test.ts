import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerErrorHandling } from './errors.js';
import { needsCarefulParse, registerJsonBody } from './json-body.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = Fastify();
  registerErrorHandling(app, []);
  registerJsonBody(app);
  app.post('/echo', async (request) => ({ body: request.body }));
  await app.ready();
});
afterAll(async () => app?.close());

const send = (payload: string | Buffer) => app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload });

describe('the JSON body: the one-pass path and the careful one agree', () => {
  it.each([
    ['plain', '{"a":"b","n":[1,2.5,null,true]}', { a: 'b', n: [1, 2.5, null, true] }],
    ['a leading BOM, dropped as secure-json-parse drops it', '\uFEFF{"a":1}', { a: 1 }],
    ['a surrogate pair escaped', '{"a":"\\ud83d\\ude00"}', { a: '😀' }],
    ['a key that only starts like constructor', '{"cons":1,"__p":2}', { cons: 1, __p: 2 }],
    ['a primitive', '"text"', 'text'],
  ])('%s is parsed', async (_name, payload, body) => {
    const res = await send(payload);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ body });
  });

  it.each([
    ['a __proto__ key', '{"__proto__":{"x":1}}'],
    ['a __proto__ key written with escapes', '{"\\u005f_proto__":{"x":1}}'],
    ['constructor.prototype', '{"constructor":{"prototype":{"x":1}}}'],
  ])('%s is refused with 400', async (_name, payload) => {
    expect((await send(payload)).statusCode).toBe(400);
  });

  it('a lone surrogate is a 400 naming its path', async () => {
    const res = await send('{"messages":[{"content":"\\ud800"}]}');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].path).toBe('body.messages.0.content');
  });

  it('bytes that are not UTF-8 are a 400 naming the byte', async () => {
    const res = await send(Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].message).toMatch(/invalid UTF-8 at byte 6/);
  });

  it('a syntax error is a 400 naming line and column', async () => {
    const res = await send('{\n  "a": 1,\n}');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0]).toMatchObject({ path: 'body', line: 3, column: 1 });
  });

  it('an empty body is refused', async () => {
    expect((await send('')).statusCode).toBe(400);
  });

  it('a chat body takes the one-pass path; a reserved key or a surrogate escape the careful one', () => {
    const chat = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'consider the __proto__ chain' }], constructor_name: 'x' });
    expect(needsCarefulParse(chat)).toBe(false);
    for (const text of ['{"__proto__":{}}', '{"\\u005f_proto__":{}}', '{"constructor" : {}}', '{"cons\\u0074ructor":{}}', '{"a":"\\udc00"}']) {
      expect(needsCarefulParse(text), text).toBe(true);
    }
  });
});
