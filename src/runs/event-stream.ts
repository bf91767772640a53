import type { FastifyReply } from 'fastify';
import { EventStreamWriter, hijackForEventStream } from '../server/plugins/sse.js';
import type { RunEvent, RunEventLog } from '../store/types.js';

/** Events read per round trip to the log. */
const BATCH = 500;

/**
 * Replays a run's event log after `afterId` (null = from the start), then
 * follows it live until the run's last event, `completed`, and ends the
 * response. Each SSE message carries its log id as `id:`, so a client that
 * reconnects with `Last-Event-ID` gets every later event exactly once. Works on
 * any replica: the log lives in the store. `first` is the already-read first
 * batch (read before the response is taken over, so a bad id is still a 400).
 */
export async function streamRunEvents(
  reply: FastifyReply,
  log: RunEventLog,
  runId: string,
  start: { afterId: string | null; first: RunEvent[] },
  keepAliveMs: number,
): Promise<void> {
  const raw = hijackForEventStream(reply);
  // A batch of replayed events leaves in one socket write, like the other event streams; the writer keeps the stream alive.
  const out = new EventStreamWriter(raw, keepAliveMs);
  let closed = false;
  let dirty = false;
  let wake: (() => void) | null = null;
  const poke = () => {
    dirty = true;
    wake?.();
  };
  const stopWatching = log.watch(runId, poke);
  raw.once('close', () => {
    closed = true;
    poke();
  });
  try {
    let after = start.afterId;
    let batch = start.first;
    for (;;) {
      for (const e of batch) {
        if (closed) return;
        out.write(`id: ${e.id}\nevent: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`);
        after = e.id;
        if (e.event === 'completed') return;
      }
      if (closed) return;
      if (batch.length < BATCH && !dirty) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      dirty = false;
      if (closed) return;
      batch = await log.read(runId, after, BATCH);
    }
  } finally {
    stopWatching();
    out.end();
  }
}
