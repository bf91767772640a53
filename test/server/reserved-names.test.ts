import { describe, expect, it } from 'vitest';
import { fixtureForTests } from '../orchestrator/fixture.js';
import { postJson } from '../orchestrator/support.js';

/**
 * Names that every JavaScript object already has (`__proto__`, `constructor`, `toString`…) are
 * refused wherever a caller names something the runtime keys by name: a 400 naming the path,
 * before any model call. Issue 17: a task `__proto__` used to "complete" with output `{}`.
 */
const f = fixtureForTests();

const rawPost = async (path: string, text: string) => {
  const res = await fetch(`${f.t.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
  return { status: res.status, body: (await res.json()) as any, requestId: res.headers.get('x-request-id') };
};

const paths = (body: any): string[] => body.error.details.map((d: { path: string }) => d.path);

describe('reserved names as workflow names', () => {
  it.each(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'])(
    'a task id %s is a 400 naming the path, and no model is called',
    async (name) => {
      f.fake.reset();
      const { status, body } = await postJson(`${f.t.url}/workflow`, {
        workflow: { linear_queue: [{ id: name, model: 'fast_ai', prompt: 'hi' }], inline_queue: [{ id: 'after', prompt: `sees {{${name}}}` }] },
      });
      expect(status).toBe(400);
      expect(body.error.type).toBe('validation_error');
      expect(paths(body)).toContain('body.workflow.linear_queue.0.id');
      expect(JSON.stringify(body.error.details)).toContain(`'${name}' is a reserved name`);
      expect(f.fake.attempts).toHaveLength(0);
    },
  );

  it('refuses a reserved output, input, workflow output and variable, each at its own path', async () => {
    const { status, body } = await postJson(`${f.t.url}/workflow`, {
      workflow: {
        inputs: { toString: { required: false } },
        linear_queue: [{ id: 'a', model: 'fast_ai', prompt: 'hi', output: 'constructor' }],
        output: 'prototype',
      },
      variables: { hasOwnProperty: 'x' },
    });
    expect(status).toBe(400);
    expect(paths(body)).toEqual(
      expect.arrayContaining(['body.workflow.inputs.toString', 'body.workflow.linear_queue.0.output', 'body.workflow.output', 'body.variables.hasOwnProperty']),
    );
  });

  it('refuses a __proto__ key written in the JSON text as a 400 in the error body, with x-request-id', async () => {
    const wf = '{"workflow":{"inputs":{"__proto__":{"required":true}},"linear_queue":[{"id":"a","model":"fast_ai","prompt":"hi"}]}}';
    const variables = '{"workflow":{"linear_queue":[{"id":"a","model":"fast_ai","prompt":"hi"}]},"variables":{"__proto__":"x"}}';
    const constructorPrototype = '{"message":"hi","category":"L","constructor":{"prototype":{"polluted":true}}}';
    for (const [path, text] of [['/workflow', wf], ['/workflow', variables], ['/chat', constructorPrototype]] as const) {
      const { status, body, requestId } = await rawPost(path, text);
      expect(status).toBe(400);
      expect(body.error.type).toBe('validation_error');
      expect(body.error.details[0].message).toMatch(/__proto__/);
      expect(requestId).toBeTruthy();
    }
  });

  it('a template or addon named like an Object member is simply unknown', async () => {
    const template = await postJson(`${f.t.url}/template/constructor`, {});
    expect(template.status).toBe(404);
    const chat = await postJson(`${f.t.url}/chat`, { message: 'hi', category: 'L', addons: ['__proto__', 'toString'] });
    expect(chat.status).toBe(400);
    expect(paths(chat.body)).toEqual(['addons.0', 'addons.1']);
  });

  it('an ordinary name that merely looks similar still runs: proto, Constructor', async () => {
    f.fake.reset();
    const { status, body } = await postJson(`${f.t.url}/workflow`, {
      workflow: {
        linear_queue: [{ id: 'proto', model: 'fast_ai', prompt: 'one' }],
        inline_queue: [{ id: 'Constructor', model: 'fast_ai', prompt: 'sees {{proto}}' }],
      },
    });
    expect(status).toBe(200);
    expect(body.status).toBe('completed');
    expect(typeof body.output).toBe('string');
    expect(body.variables.proto).toMatch(/^echo: one/);
  });
});
