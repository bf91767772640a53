import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';

/**
 * What runs when a request's response closes — sent, streamed to its end (hijacked), or cut short
 * by a client that went away: node emits 'close' on the raw response in every case. One listener per
 * request calls, in order, what the in-flight count (shutdown.ts), the request-end telemetry
 * (telemetry/request-end.ts) and the disconnect abort (operation.ts) registered, instead of a
 * `once` listener (a wrapper and its state) each.
 */
const kClose = Symbol('on response close');

type Closing = ServerResponse & { [kClose]?: Array<(res: ServerResponse) => void> };

function runClose(this: Closing): void {
  const fns = this[kClose];
  // A response emits 'close' once; anything that emits it again finds the list gone.
  if (!fns) return;
  this[kClose] = undefined;
  for (const fn of fns) fn(this);
}

/** Calls `fn` once when the reply's raw response closes (after anything registered before it). */
export function whenClosed(reply: FastifyReply, fn: (res: ServerResponse) => void): void {
  const res = reply.raw as Closing;
  const fns = res[kClose];
  if (fns) {
    fns.push(fn);
    return;
  }
  res[kClose] = [fn];
  // 'close' is emitted once per response; runClose empties the list, so a second emit calls nothing.
  res.on('close', runClose);
}
