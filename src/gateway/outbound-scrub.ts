import { scrubSecrets } from '../secrets.js';
import type { Media, ToolCall } from '../providers/types.js';
import { Channel } from '../channel.js';
import type { GatewayResult, GatewayStream, GatewayStreamChunk } from './types.js';

/** Where stream chunks are pushed (a Channel), and how the stream ends. */
export interface ChunkSink {
  push(chunk: GatewayStreamChunk): void;
  end(): void;
  fail(reason: unknown): void;
}

/**
 * The one place where configured secrets (provider keys, client API keys, admin keys) are
 * removed from what a model answered, on the way out of the gateway: answer text, stream
 * deltas, tool-call arguments and media URLs. Everything built from an answer — task outputs,
 * run records, session turns, SSE events, logs — is built from these scrubbed values, so an
 * upstream that echoes the `authorization` header it received (a proxy, a custom
 * OpenAI-compatible host) cannot hand a key to a caller or to storage (issue 17).
 *
 * Streams hold back, per text (the answer, each tool call's arguments), a tail that could be the
 * start of a secret (at most longest secret − 1 characters) until the next piece arrives, so a key
 * split across two deltas is still whole when it is replaced; the tail is flushed when the stream ends. Cost: nothing when no secret is
 * configured; otherwise one `includes` per secret per piece (see BENCHMARKS.md).
 */
export interface OutboundScrubber {
  /** The secrets, longest first, each at least 6 characters. */
  readonly secrets: readonly string[];
  result(result: GatewayResult): GatewayResult;
  /**
   * The parts of an answer `result` scrubs, one by one (each returned as it is when no secret is
   * configured): settle builds a call's result from them, so the result is made once, not made and copied.
   */
  text(text: string): string;
  media(media: Media[]): Media[];
  toolCalls(calls: ToolCall[] | undefined): ToolCall[] | undefined;
  stream(stream: GatewayStream): GatewayStream;
  /**
   * The same scrub on the producing side: chunks pushed into the returned sink reach `target`
   * scrubbed (`target` itself when no secret is configured). The gateway's own streams use this,
   * so a streamed delta passes no extra async iterator on its way out.
   */
  sink(target: ChunkSink): ChunkSink;
}

/** Secrets shorter than this are not scrubbed: they would match ordinary text (same rule as `scrubSecrets`). */
const MIN_SECRET_LENGTH = 6;

export function createOutboundScrubber(secrets: readonly string[]): OutboundScrubber {
  const list = [...new Set(secrets.filter((s) => s.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
  const scrub = (text: string) => scrubSecrets(text, list);
  const scrubCalls = (calls: ToolCall[] | undefined) =>
    calls?.map((c) => ({ ...c, function: { ...c.function, arguments: scrub(c.function.arguments), name: scrub(c.function.name) } }));
  // A URL may carry a key as a query parameter; data URIs are the model's own bytes, not scanned.
  const scrubMedia = (media: Media[]) => media.map((m) => (m.url === undefined ? m : { ...m, url: scrub(m.url) }));
  const none = list.length === 0;

  const result = (r: GatewayResult): GatewayResult =>
    none ? r : { ...r, text: scrub(r.text), media: scrubMedia(r.media), ...(r.tool_calls ? { tool_calls: scrubCalls(r.tool_calls) } : {}) };

  const sink = (target: ChunkSink): ChunkSink => (none ? target : scrubbingSink(target, scrub, list));

  return {
    secrets: list,
    result,
    text: (text) => (none ? text : scrub(text)),
    media: (media) => (none ? media : scrubMedia(media)),
    toolCalls: (calls) => (none ? calls : scrubCalls(calls)),
    sink,
    stream: (s) => {
      if (none) return s;
      const scrubbed = s.result.then(result);
      // Like the stream's own result: a caller that only reads the chunks sees the error there.
      scrubbed.catch(() => undefined);
      const channel = new Channel<GatewayStreamChunk>();
      const into = sink(channel);
      void (async () => {
        try {
          for await (const chunk of s.chunks) into.push(chunk);
          into.end();
        } catch (err) {
          into.fail(err);
        }
      })();
      return { chunks: channel, result: scrubbed };
    },
  };
}

/**
 * Text that arrives in pieces, scrubbed as a whole: `push` returns what is safe to send now —
 * everything but a tail that could be the start of a secret (at most longest secret − 1
 * characters, and only when it matches a secret's beginning, so ordinary deltas pass through
 * unchanged) — and `flush` the rest at the end.
 */
export class TailScrubber {
  private pending = '';
  constructor(
    private readonly secrets: readonly string[],
    private readonly scrub: (text: string) => string,
  ) {}

  push(piece: string): string {
    const whole = this.scrub(this.pending + piece);
    const cut = this.heldFrom(whole);
    this.pending = whole.slice(cut);
    return whole.slice(0, cut);
  }

  /** The rest at a normal end: the answer is complete, so it is sent whole (scrubbed). */
  flush(): string {
    const rest = this.scrub(this.pending);
    this.pending = '';
    return rest;
  }

  /** The rest when the stream broke: without a trailing start of a secret, which will never complete. */
  flushBroken(): string {
    const rest = this.flush();
    return rest.slice(0, this.heldFrom(rest));
  }

  /** Where the shortest-starting suffix of `text` that begins some secret starts (text.length when none). */
  private heldFrom(text: string): number {
    let cut = text.length;
    for (const secret of this.secrets) {
      const first = secret[0]!;
      for (let i = text.indexOf(first, Math.max(0, text.length - secret.length + 1)); i !== -1 && i < cut; i = text.indexOf(first, i + 1)) {
        if (endsWithStartOf(text, i, secret)) {
          cut = i;
          break;
        }
      }
    }
    // Never split a surrogate pair between what is sent and what is held.
    const code = text.charCodeAt(cut);
    if (cut > 0 && cut < text.length && code >= 0xdc00 && code <= 0xdfff) cut -= 1;
    return cut;
  }
}

/** Whether text[from..] is the beginning of `secret` (char by char: no slice on the hot path). */
function endsWithStartOf(text: string, from: number, secret: string): boolean {
  for (let j = from; j < text.length; j++) if (text.charCodeAt(j) !== secret.charCodeAt(j - from)) return false;
  return true;
}

/**
 * Scrubs the chunks pushed into it on their way to `target`: the answer's text and each tool
 * call's arguments through a TailScrubber each, tool names whole. At a normal end the held tails
 * are flushed (text, then each tool call's arguments); when the stream breaks, what the caller was
 * already owed is delivered, then the error.
 */
function scrubbingSink(target: ChunkSink, scrub: (text: string) => string, secrets: readonly string[]): ChunkSink {
  const text = new TailScrubber(secrets, scrub);
  const args = new Map<number, TailScrubber>();
  let last: { model: string; simulated: boolean } | undefined;
  return {
    push(chunk) {
      last = { model: chunk.model, simulated: chunk.simulated };
      if (chunk.type === 'delta') {
        const out = text.push(chunk.text);
        if (out === chunk.text) target.push(chunk);
        else if (out.length > 0 || chunk.logprobs !== undefined) target.push({ ...chunk, text: out });
        return;
      }
      let buffer = args.get(chunk.index);
      if (!buffer) args.set(chunk.index, (buffer = new TailScrubber(secrets, scrub)));
      const { arguments: piece, ...rest } = chunk;
      const out = piece === undefined ? '' : buffer.push(piece);
      const named = { ...rest, ...(rest.name !== undefined ? { name: scrub(rest.name) } : {}) };
      if (out.length > 0) target.push({ ...named, arguments: out });
      else if (rest.id !== undefined || rest.name !== undefined) target.push(named);
    },
    end() {
      if (last) {
        const tail = text.flush();
        if (tail.length > 0) target.push({ type: 'delta', text: tail, ...last });
        for (const [index, buffer] of args) {
          const rest = buffer.flush();
          if (rest.length > 0) target.push({ type: 'tool_call', index, arguments: rest, ...last });
        }
      }
      target.end();
    },
    fail(reason) {
      const tail = text.flushBroken();
      if (last && tail.length > 0) target.push({ type: 'delta', text: tail, ...last });
      target.fail(reason);
    },
  };
}
