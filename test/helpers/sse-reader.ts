/** One Server-Sent Event as a client sees it. */
export interface ReadEvent {
  id: string | null;
  event: string;
  data: any;
}

/**
 * Reads an event stream message by message as it arrives; `stopAfter` may end
 * the read early (the connection is then dropped, as a client that goes away).
 */
export async function readEvents(url: string, opts: { lastEventId?: string; stopAfter?: (e: ReadEvent, all: ReadEvent[]) => boolean } = {}): Promise<ReadEvent[]> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: opts.lastEventId ? { 'last-event-id': opts.lastEventId } : {}, signal: controller.signal });
  if (res.status !== 200) throw new Error(`events answered ${res.status}: ${await res.text()}`);
  const events: ReadEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!block.trim() || block.startsWith(':')) continue;
        const lines = block.split('\n');
        const field = (name: string) => lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
        const e: ReadEvent = { id: field('id') ?? null, event: field('event') ?? 'message', data: JSON.parse(field('data') ?? 'null') };
        events.push(e);
        if (opts.stopAfter?.(e, events)) {
          controller.abort();
          return events;
        }
      }
    }
  } catch (err) {
    if (!controller.signal.aborted) throw err;
  }
  return events;
}
