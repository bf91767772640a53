import type { AnswerSink } from './answer-handler.js';
import type { HeaderBag } from './retry-hint.js';

/** An HTTP answer read whole: its status, headers (lower-case names) and body as text. */
export interface WholeAnswerText {
  status: number;
  headers: HeaderBag;
  text: string;
}

/**
 * An answer read whole (an AnswerHandler's sink): the body's chunks are kept as they arrive and joined
 * and decoded once at the end, as the fetch body mixin's text() does (a leading byte order mark of a
 * success is dropped). An error answer (status ≥ 300) is read to `errorLimit` bytes at most, then the
 * exchange is cut (never a memory hazard) and what was read settles as the answer.
 */
export class WholeAnswer implements AnswerSink {
  private status = 0;
  private headers: HeaderBag = {};
  private readonly chunks: Buffer[] = [];
  private size = 0;
  /** Set when the error body reached its limit and the exchange was cut on purpose. */
  private cut = false;

  /**
   * @param settle called once: `(err)` when the exchange failed, else `(null, answer)` (a subclass may override `settled` instead)
   * @param errorLimit how far an error answer's body is read (bytes)
   */
  constructor(
    private readonly settle: ((err: unknown, answer?: WholeAnswerText) => void) | undefined,
    private readonly errorLimit: number,
  ) {}

  start(status: number, headers: HeaderBag): void {
    this.status = status;
    this.headers = headers;
    this.started(headers);
  }

  /** The headers came: a subclass's hook; a throw ends the exchange with that error. */
  protected started(_headers: HeaderBag): void {}

  /** Called once: `(err)` when the exchange failed, else `(null, answer)` (see `settle`). */
  protected settled(err: unknown, answer?: WholeAnswerText): void {
    this.settle!(err, answer);
  }

  data(chunk: Buffer): void {
    if (this.cut) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.status >= 300 && this.size >= this.errorLimit) {
      this.cut = true;
      throw new Error('error body read up to its limit');
    }
  }

  end(err: unknown): void {
    if (err !== null && !this.cut) return this.settled(err);
    let body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    if (this.cut) body = body.subarray(0, this.errorLimit);
    let text = body.toString('utf8');
    if (this.status < 300 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    this.settled(null, { status: this.status, headers: this.headers, text });
  }
}
