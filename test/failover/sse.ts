/**
 * A streamed `POST /v1/chat/completions` read to its end as raw SSE: the text the client
 * assembled, the models named by the chunks, the finish reason, an in-band error and
 * whether `[DONE]` came — everything a failover test asserts on.
 */
export interface StreamOutcome {
  status: number;
  /** The JSON body of a non-stream (error) answer. */
  body?: unknown;
  text: string;
  models: string[];
  finish?: string | null;
  error?: { message?: string; type?: string };
  done: boolean;
}

interface Chunk {
  model?: string;
  choices?: Array<{ delta?: { content?: string | null }; finish_reason?: string | null }>;
  error?: { message?: string; type?: string };
}

export async function streamCompletion(baseUrl: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<StreamOutcome> {
  const res = await fetch(`${baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, stream: true }),
    signal,
  });
  const raw = await res.text();
  if (!(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    return { status: res.status, body: JSON.parse(raw) as unknown, text: '', models: [], done: false };
  }
  const outcome: StreamOutcome = { status: res.status, text: '', models: [], done: false };
  for (const event of raw.split(/\r?\n\r?\n/)) {
    const data = event
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trimStart())
      .join('\n');
    if (!data) continue;
    if (data === '[DONE]') {
      outcome.done = true;
      continue;
    }
    const chunk = JSON.parse(data) as Chunk;
    if (chunk.error) {
      outcome.error = chunk.error;
      continue;
    }
    if (chunk.model && outcome.models.at(-1) !== chunk.model) outcome.models.push(chunk.model);
    const choice = chunk.choices?.[0];
    outcome.text += choice?.delta?.content ?? '';
    if (choice?.finish_reason) outcome.finish = choice.finish_reason;
  }
  return outcome;
}
