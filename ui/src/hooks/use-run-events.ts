import { EventSourceParserStream } from 'eventsource-parser/stream';
import { useEffect, useRef } from 'preact/hooks';
import { loadCredentials } from '../api.js';

/** One event of a run's log: its name (task_started, task_retry, …, completed), its JSON data and id. */
export interface RunEvent {
  event: string;
  data: Record<string, unknown>;
  id: string | undefined;
}

/**
 * Follows GET /runs/{id}/events. EventSource cannot send headers, so this streams with fetch
 * (the key in the Authorization header, never in the URL) and parses the event stream with
 * eventsource-parser. Every event is handed to `onEvent` in order; when the stream drops
 * before the final `completed`, it reconnects with `Last-Event-ID` (the server replays only what
 * came after it, exactly once). Stops on unmount or when `runId` changes.
 */
export function useRunEvents(runId: string, onEvent: (e: RunEvent) => void, onError: (message: string | null) => void): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const errors = useRef(onError);
  errors.current = onError;
  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    let lastId: string | undefined;
    let done = false;
    const follow = async (): Promise<void> => {
      const credentials = loadCredentials();
      const key = credentials?.client ?? credentials?.admin;
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (key) headers.authorization = `Bearer ${key}`;
      if (lastId) headers['last-event-id'] = lastId;
      const res = await fetch(`/runs/${encodeURIComponent(runId)}/events`, { headers, signal });
      if (!res.ok || !res.body) {
        const text = await res.text().catch(() => '');
        let message = `${res.status} ${res.statusText}`;
        try {
          message = (JSON.parse(text) as { error: { message: string } }).error.message;
        } catch {
          // not the API's error body: the status says enough
        }
        throw new Error(`GET /runs/${runId}/events → ${message}`);
      }
      errors.current(null);
      const events = res.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
      const reader = events.getReader();
      for (;;) {
        const { value, done: ended } = await reader.read();
        if (ended) return;
        if (value.id) lastId = value.id;
        let data: Record<string, unknown>;
        try {
          data = JSON.parse(value.data) as Record<string, unknown>;
        } catch {
          continue;
        }
        const name = value.event ?? 'message';
        handler.current({ event: name, data, id: value.id });
        if (name === 'completed') {
          done = true;
          return;
        }
      }
    };
    void (async () => {
      // A dropped stream (proxy, server restart) is resumed after the last event seen; a refused one is retried slowly.
      for (let tries = 0; !done && !signal.aborted && tries < 20; tries++) {
        try {
          await follow();
        } catch (err) {
          if (signal.aborted) return;
          errors.current(err instanceof Error ? err.message : String(err));
        }
        if (!done && !signal.aborted) await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    return () => controller.abort();
  }, [runId]);
}
