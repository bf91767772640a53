import { lazyRequire } from '../../lazy-require.js';

/** Loaded when webhooks are on (a signing secret is set). */
const standardWebhooks = lazyRequire<typeof import('standardwebhooks')>('standardwebhooks');

/** The three headers of a Standard Webhooks delivery. */
export interface SignatureHeaders {
  'webhook-id': string;
  /** Unix seconds. */
  'webhook-timestamp': string;
  /** `v1,<base64 HMAC-SHA256 of "${id}.${timestamp}.${body}">`. */
  'webhook-signature': string;
}

/** Signs one delivery attempt with the Standard Webhooks scheme (https://www.standardwebhooks.com). */
export type Signer = (id: string, at: Date, body: string) => SignatureHeaders;

/**
 * A signer for `secret` (`whsec_` + base64, as WEBHOOK_SECRET holds it), using
 * the reference `standardwebhooks` package so receivers verify with any of its ports.
 * Throws when the secret is not valid base64.
 */
export function createSigner(secret: string): Signer {
  const webhook = new (standardWebhooks().Webhook)(secret);
  return (id, at, body) => ({
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': webhook.sign(id, at, body),
  });
}
