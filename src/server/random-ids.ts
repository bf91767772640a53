import { randomFillSync } from 'node:crypto';

/**
 * Random ids of a request, each built as ONE flat string: the default request id (an RFC 9562 version 4 UUID,
 * what `crypto.randomUUID()` gives) and a chat completion's `chatcmpl-<32 hex digits>` id. `randomUUID()` joins
 * its 36 characters piece by piece and the completion id then copied it again without its dashes (~0.9 KB of
 * strings per JSON request, by a sampled heap profile); here the hex digits are written into a scratch buffer
 * and read out once. The random bytes come from a pool filled by `randomFillSync` (the operating system's
 * CSPRNG, as randomUUID's own cache of random bytes), 16 per id.
 */
const POOL_BYTES = 16 * 256;
const pool = Buffer.allocUnsafeSlow(POOL_BYTES);
let used = POOL_BYTES;
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const COMPLETION_PREFIX = 'chatcmpl-';
// A UUID is written at 0..36, a completion id at 36..77 (its prefix written once).
const COMPLETION_AT = 36;
const scratch = Buffer.allocUnsafeSlow(COMPLETION_AT + COMPLETION_PREFIX.length + 32);
scratch.write(COMPLETION_PREFIX, COMPLETION_AT, 'latin1');

/** The offset in the pool of 16 fresh random bytes. */
function take16(): number {
  if (used === POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const at = used;
  used += 16;
  return at;
}

/** Writes the 16 bytes at `from` as 32 lowercase hex digits into the scratch buffer at `to`, a dash before bytes 4, 6, 8 and 10 if `dashes`. Returns the end. */
function writeHex(from: number, to: number, dashes: boolean): number {
  let o = to;
  for (let i = 0; i < 16; i++) {
    if (dashes && (i === 4 || i === 6 || i === 8 || i === 10)) scratch[o++] = 0x2d;
    const b = pool[from + i]!;
    scratch[o++] = HEX_DIGITS[b >> 4]!;
    scratch[o++] = HEX_DIGITS[b & 15]!;
  }
  return o;
}

/** A random (version 4, RFC 9562 §5.4) UUID in its 36-character lowercase form, like `crypto.randomUUID()`. */
export function randomUuid(): string {
  const at = take16();
  pool[at + 6] = (pool[at + 6]! & 0x0f) | 0x40;
  pool[at + 8] = (pool[at + 8]! & 0x3f) | 0x80;
  return scratch.toString('latin1', 0, writeHex(at, 0, true));
}

/** A chat completion's id: `chatcmpl-` and 32 random lowercase hex digits (128 random bits). */
export function completionId(): string {
  return scratch.toString('latin1', COMPLETION_AT, writeHex(take16(), COMPLETION_AT + COMPLETION_PREFIX.length, false));
}
