import { describe, expect, it } from 'vitest';
import { scrubSecrets } from '../secrets.js';
import { createOutboundScrubber, TailScrubber } from './outbound-scrub.js';
import type { GatewayStreamChunk } from './types.js';

const KEY = 'sk-or-v1-abcdef0123456789';
const OTHER = 'mo_client_key_42';
const secrets = createOutboundScrubber([KEY, OTHER, 'short']).secrets;
const scrubber = () => new TailScrubber(secrets, (t) => scrubSecrets(t, secrets));

describe('TailScrubber', () => {
  it('ignores secrets under 6 characters and orders the rest longest first', () => {
    expect(secrets).toEqual([KEY, OTHER]);
  });

  it('replaces a key split across two deltas at every position, and sends nothing of it', () => {
    const text = `before ${KEY} after`;
    for (let cut = 1; cut < text.length; cut++) {
      const s = scrubber();
      const sent = [s.push(text.slice(0, cut)), s.push(text.slice(cut)), s.flush()];
      expect(sent.join('')).toBe('before [redacted] after');
      for (const piece of sent) expect(KEY.includes(piece.trim()) && piece.trim().length > 1).toBe(false);
    }
  });

  it('replaces a key sent one character per delta', () => {
    const s = scrubber();
    const sent = [...`x${OTHER}y`].map((c) => s.push(c));
    expect(sent.join('') + s.flush()).toBe('x[redacted]y');
  });

  it('passes ordinary deltas through unchanged, holding only a tail that begins a secret', () => {
    const s = scrubber();
    expect(s.push('Hello')).toBe('Hello');
    expect(s.push(' world sk-o')).toBe(' world ');
    expect(s.push('ther')).toBe('sk-other');
  });

  it('on a broken stream, sends the held text but not the start of a key that never completed', () => {
    const s = scrubber();
    expect(s.push('half an answer sk-or-v1-ab')).toBe('half an answer ');
    expect(s.flushBroken()).toBe('');
  });
});

describe('createOutboundScrubber', () => {
  it('scrubs stream chunks (text and each tool call’s arguments) and the result', async () => {
    const out = createOutboundScrubber([KEY]);
    const chunks: GatewayStreamChunk[] = [
      { type: 'delta', text: 'key: sk-or-v1-abc', model: 'm', simulated: false },
      { type: 'tool_call', index: 0, id: 'c1', name: 'f', arguments: '{"k":"sk-or', model: 'm', simulated: false },
      { type: 'delta', text: 'def0123456789 end', model: 'm', simulated: false },
      { type: 'tool_call', index: 0, arguments: '-v1-abcdef0123456789"}', model: 'm', simulated: false },
    ];
    async function* source() {
      yield* chunks;
    }
    const result = { text: `key: ${KEY} end`, media: [{ type: 'image' as const, url: `https://x/?key=${KEY}`, mime_type: 'image/png' }], tool_calls: [{ id: 'c1', type: 'function' as const, function: { name: 'f', arguments: `{"k":"${KEY}"}` } }] };
    const s = out.stream({ chunks: source(), result: Promise.resolve(result as never) });
    const got: GatewayStreamChunk[] = [];
    for await (const c of s.chunks) got.push(c);
    const text = got.flatMap((c) => (c.type === 'delta' ? [c.text] : [])).join('');
    const args = got.flatMap((c) => (c.type === 'tool_call' && c.arguments ? [c.arguments] : [])).join('');
    expect(text).toBe('key: [redacted] end');
    expect(args).toBe('{"k":"[redacted]"}');
    expect(got.find((c) => c.type === 'tool_call')).toMatchObject({ id: 'c1', name: 'f' });
    const r = await s.result;
    expect(JSON.stringify(r)).not.toContain(KEY);
  });
});
