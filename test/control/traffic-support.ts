import { expect } from 'vitest';
import { pointShippedConfigAt } from '../helpers/gateway-config.js';

type Raw = Record<string, any>;

/** The admin key the traffic tests configure (`ADMIN_API_KEYS="ops:<this>"`). */
export const ADMIN = 'admin-secret-traffic';

/**
 * The shipped config pointed at the fake provider, for tests that send hundreds of
 * calls in seconds: no per-caller HTTP limit and no tokens/min on openrouter.
 */
export const trafficConfig =
  (fakeUrl: string, edit?: (raw: Raw) => void) =>
  (raw: Raw): void => {
    pointShippedConfigAt(raw, fakeUrl);
    raw.server.rate_limit = { enabled: false };
    delete raw.providers.openrouter.rate_limits.tokens_per_minute;
    edit?.(raw);
  };

/** One JSON call with an optional bearer key; the parsed body, status and headers. */
export async function call(base: string, method: string, path: string, key?: string, body?: unknown): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

type Answer = Awaited<ReturnType<typeof call>>;

/**
 * Sends `send(i)` (at most `max` times) until it is refused with 429; every answer before that is a 200.
 * Returns the refusal (undefined if none came) and the sum of the answers' cost_usd.
 */
export async function spendUntilRefused(send: (i: number) => Promise<Answer>, max = 50): Promise<{ spent: number; refused: Answer | undefined }> {
  let spent = 0;
  for (let i = 0; i < max; i++) {
    const res = await send(i);
    if (res.status === 429) return { spent, refused: res };
    expect(res.status).toBe(200);
    spent += res.body.cost_usd;
  }
  return { spent, refused: undefined };
}
