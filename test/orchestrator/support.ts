import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeProvider } from '../../scripts/fake-provider/server.js';

/** Shared helpers of the orchestrator's HTTP tests. */

export interface JsonResponse {
  status: number;
  body: any;
  headers: Headers;
  ms: number;
}

export async function postJson(url: string, body: unknown): Promise<JsonResponse> {
  const started = Date.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json(), headers: res.headers, ms: Date.now() - started };
}

/** GET a JSON body (typed loosely: tests assert on its shape). */
export async function getJson(url: string): Promise<any> {
  const res = await fetch(url);
  return res.json();
}

export interface SseEvent {
  event: string;
  data: any;
}

/** Reads a whole text/event-stream response into its events (comments dropped). */
export async function readSse(res: Response): Promise<SseEvent[]> {
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => block.trim() && !block.startsWith(':'))
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
      const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      return { event, data: JSON.parse(data) };
    });
}

const textOf = (content: unknown): string =>
  typeof content === 'string' ? content : Array.isArray(content) ? content.map((p: { text?: string }) => p.text ?? '').join('\n') : '';

/** The last user message of each chat request the fake saw, in arrival order. */
export function userPrompts(fake: FakeProvider): string[] {
  return fake.attempts
    .filter((a) => a.path.includes('chat/completions') || a.path.includes(':generateContent') || a.path.includes(':predict'))
    .map((a) => {
      const body = a.body as { messages?: { role: string; content: unknown }[]; contents?: { parts?: { text?: string }[] }[]; instances?: { prompt?: string }[] };
      if (body.messages) return textOf([...body.messages].reverse().find((m) => m.role === 'user')?.content);
      if (body.instances) return body.instances[0]?.prompt ?? '';
      return (body.contents?.at(-1)?.parts ?? []).map((p) => p.text ?? '').join('\n');
    });
}

/** How many chat requests the fake saw whose last user message starts with `prefix`. */
export const promptsStartingWith = (fake: FakeProvider, prefix: string): number => userPrompts(fake).filter((p) => p.startsWith(prefix)).length;

/** The fake's answer to a prompt: it echoes the first 200 characters. */
export const echo = (prompt: string): string => `echo: ${prompt.slice(0, 200)}`;

/**
 * An OpenAI-compatible upstream that never answers, and records when each
 * request's connection is closed by the caller: proof that a call was cancelled.
 */
export interface HangingUpstream {
  url: string;
  received: IncomingMessage[];
  closed: number;
  /** Resolves when `n` requests have arrived. */
  waitForRequests(n: number): Promise<void>;
  /** Resolves when `n` requests have been closed by the caller. */
  waitForClosed(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function startHangingUpstream(): Promise<HangingUpstream> {
  const received: IncomingMessage[] = [];
  let closed = 0;
  const waiters: (() => void)[] = [];
  const notify = () => waiters.splice(0).forEach((w) => w());
  const server = createServer((req, res) => {
    received.push(req);
    req.resume();
    res.once('close', () => {
      closed += 1;
      notify();
    });
    notify();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const until = (check: () => boolean) =>
    new Promise<void>((resolve) => {
      const test = () => (check() ? resolve() : waiters.push(test));
      test();
    });
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    get closed() {
      return closed;
    },
    waitForRequests: (n) => until(() => received.length >= n),
    waitForClosed: (n) => until(() => closed >= n),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls until `check` returns a value, or fails after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined>, ms = 3000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
