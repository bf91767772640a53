import type { Config } from './config/schema.js';

/**
 * Replaces every configured secret in a string. Upstream error messages travel
 * into attempts, run records, SSE events and error bodies, and some providers
 * echo the key they were sent; removing it where such text enters, and again
 * in every error body, keeps it from ever leaving the server.
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 6 && out.includes(secret)) out = out.split(secret).join('[redacted]');
  return out;
}

/** The provider keys the config resolved from the environment. */
export const providerSecrets = (config: Config): string[] =>
  Object.values(config.providers).flatMap((p) => (p.api_key ? [p.api_key] : []));
