import { ServerResponse, IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import type { FastifyReply } from 'fastify';
import { describe, expect, it } from 'vitest';
import { whenClosed } from './request-close.js';

const replyOf = (): FastifyReply => ({ raw: new ServerResponse(new IncomingMessage(new Socket())) }) as unknown as FastifyReply;

describe('whenClosed', () => {
  it('runs every registered function once, in order, from one listener', () => {
    const reply = replyOf();
    const calls: string[] = [];
    whenClosed(reply, () => calls.push('count'));
    whenClosed(reply, () => calls.push('telemetry'));
    whenClosed(reply, (res) => calls.push(res === reply.raw ? 'abort' : 'wrong response'));
    expect(reply.raw.listenerCount('close')).toBe(1);
    reply.raw.emit('close');
    reply.raw.emit('close');
    expect(calls).toEqual(['count', 'telemetry', 'abort']);
  });
});
