import { expandMode, type ClientOptions } from './args.js';
import { createApi } from './http.js';
import { runModes, type ModeReport } from './modes/index.js';
import type { Output } from './output.js';
import { runRepl } from './repl.js';

/**
 * Runs the client for parsed options: the automated modes (returning their
 * reports) or the chat REPL. The CLI entry and the tests both come through here.
 */
export async function runClient(options: ClientOptions, out: Output, terminal?: NodeJS.WriteStream): Promise<{ ok: boolean; reports: ModeReport[] }> {
  const api = createApi(options.url, options.apiKey, options.timeoutMs);
  if (options.mode === 'chat') {
    await runRepl({ api, out, ...(terminal ? { terminal } : {}) });
    return { ok: true, reports: [] };
  }
  const reports = await runModes(expandMode(options.mode), { api, out, options });
  return { ok: reports.every((r) => r.ok), reports };
}
