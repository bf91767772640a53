import { parseArgs, USAGE } from './test-client/args.js';
import { runClient } from './test-client/client.js';
import { streamOutput } from './test-client/output.js';

/**
 * `npm run client -- <mode> [--url URL] [--api-key KEY]`: the orchestrator's
 * test client. Exit 0 when every mode passed, 1 when one failed, 2 on bad usage.
 */
async function main(): Promise<number> {
  const parsed = parseArgs(process.argv.slice(2), process.env);
  if (parsed.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`test client: ${parsed.message}\n\n${USAGE}\n`);
    return 2;
  }
  const { ok } = await runClient(parsed.options, streamOutput(process.stdout), process.stdout.isTTY ? process.stdout : undefined);
  return ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`test client failed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
