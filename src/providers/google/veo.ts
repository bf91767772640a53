import { sleep } from '../../clock.js';
import { lastUserText } from '../content.js';
import type { HttpClient } from '../http.js';
import type { ProviderRequest, ProviderResult } from '../types.js';
import { emptyUsage } from '../types.js';
import { malformedError, operationError, payloadError, timeoutError } from '../wire-errors.js';
import { isObject } from '../json-shape.js';

/**
 * Veo video generation: `:predictLongRunning` starts an operation, which is polled with
 * exponential backoff until `done`, all within the attempt's total time and the caller's signal.
 */

export interface PollOptions {
  /** First wait between polls (Google suggests ~10 s for Veo; tests use a few ms). */
  initialMs: number;
  capMs: number;
}

/** Veo 3 / 3.1 render 8-second clips unless asked otherwise; the result does not say. */
const VEO_DEFAULT_SECONDS = 8;


function videoUri(response: unknown): string | undefined {
  if (!isObject(response) || !isObject(response.generateVideoResponse)) return undefined;
  const samples = response.generateVideoResponse.generatedSamples;
  const first: unknown = Array.isArray(samples) ? samples[0] : undefined;
  const video = isObject(first) ? first.video : undefined;
  return isObject(video) && typeof video.uri === 'string' ? video.uri : undefined;
}

export async function generateVideo(http: HttpClient, req: ProviderRequest, poll: PollOptions): Promise<ProviderResult> {
  const provider = http.provider;
  const deadline = Date.now() + req.timeouts.total_ms;
  const remaining = () => deadline - Date.now();
  const call = (extra: { method?: 'GET' | 'POST'; path: string; body?: unknown; onResponseStart?: ProviderRequest['onResponseStart'] }) =>
    http.json({ ...extra, timeouts: { ...req.timeouts, total_ms: Math.max(1, remaining()) }, signal: req.signal, headers: req.trace });

  // Only the start counts against the provider's rate window; the polls are status reads.
  const started = await call({
    path: `/models/${req.model}:predictLongRunning`,
    body: { instances: [{ prompt: lastUserText(req.messages) }] },
    onResponseStart: req.onResponseStart,
  });
  const startError = payloadError(provider, started);
  if (startError) throw startError;
  if (!isObject(started) || typeof started.name !== 'string') throw malformedError(provider, 'no operation name');
  const name = started.name;

  let op: unknown = started;
  let wait = poll.initialMs;
  while (!(isObject(op) && op.done === true)) {
    if (remaining() <= 0) throw timeoutError(provider, 'total_timeout', req.timeouts.total_ms);
    await sleep(Math.min(wait, remaining()), req.signal);
    if (remaining() <= 0) throw timeoutError(provider, 'total_timeout', req.timeouts.total_ms);
    wait = Math.min(wait * 2, poll.capMs);
    op = await call({ method: 'GET', path: `/${name}` });
    if (!isObject(op)) throw malformedError(provider, 'operation is not an object');
  }

  if (op.error !== undefined && op.error !== null) throw operationError(provider, op.error);
  const uri = videoUri(op.response);
  if (!uri) {
    const filtered = isObject(op.response) && isObject(op.response.generateVideoResponse) ? op.response.generateVideoResponse.raiMediaFilteredReasons : undefined;
    if (Array.isArray(filtered) && filtered.length > 0) {
      throw payloadError(provider, { promptFeedback: { blockReason: String(filtered[0]) } })!;
    }
    throw malformedError(provider, 'finished operation has no generated video');
  }
  return {
    text: '',
    usage: emptyUsage(),
    finish_reason: 'stop',
    media: [{ type: 'video', url: uri, mime_type: 'video/mp4', duration_s: VEO_DEFAULT_SECONDS }],
    simulated: false,
  };
}
