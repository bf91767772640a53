import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startPeer, type ReadyProbe, type StartedPeer } from './peer-process.js';

/**
 * The Portkey gateway (`@portkey-ai/gateway`, the best-known Node AI gateway) as an
 * optional peer of the bench. It is never a dependency of this project: it is
 * installed on demand into a directory under os.tmpdir() (reused by later runs) and
 * started as its own process (`node build/start-server.js --port=N --headless`, its
 * published way to run on Node), pointed at the same fake provider through its
 * OpenAI provider and `x-portkey-custom-host`.
 *
 * Known limit, not ours to fix: on Node 20 its streamed chat completions answer 500
 * (`TypeError: immutable` in ResponseService.updateHeaders: it appends headers to a Response
 * built from the upstream one; Portkey-AI/gateway#1389 and #1550, open; pinning
 * @hono/node-server 1.14.2 as #1389 suggests did not help here). The bench then reports
 * its stream rows as failed rather than leave them out silently.
 */

/** Pinned so runs compare like with like; `--portkey=<version>` picks another. */
export const PORTKEY_VERSION = '1.15.2';

const installDir = (version: string) => join(tmpdir(), `mo-bench-portkey-${version}`);
const entryOf = (version: string) => join(installDir(version), 'node_modules/@portkey-ai/gateway/build/start-server.js');

/**
 * Makes the Portkey gateway available; resolves with its entry script, or with the reason
 * it could not be installed (offline, registry refused, npm missing). `--ignore-scripts`:
 * its only install script is patch-package for its own development.
 */
export async function installPortkey(version = PORTKEY_VERSION, timeoutMs = 180_000): Promise<{ entry: string } | { error: string }> {
  const entry = entryOf(version);
  if (existsSync(entry)) return { entry };
  const dir = installDir(version);
  try {
    mkdirSync(dir, { recursive: true });
    // Its own package.json, so npm installs here and never walks up into another project.
    writeFileSync(join(dir, 'package.json'), '{"private":true}\n');
    await new Promise<void>((resolve, reject) => {
      execFile(
        'npm',
        ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-save', '--loglevel=error', `@portkey-ai/gateway@${version}`],
        { cwd: dir, timeout: timeoutMs, env: { ...process.env, npm_config_update_notifier: 'false' } },
        (err, _stdout, stderr) => (err ? reject(new Error(`${err.message.split('\n')[0]} ${String(stderr).trim().split('\n').slice(-1)[0] ?? ''}`)) : resolve()),
      );
    });
  } catch (err) {
    return { error: `npm install @portkey-ai/gateway@${version} failed: ${(err as Error).message}` };
  }
  return existsSync(entry) ? { entry } : { error: `npm installed @portkey-ai/gateway@${version} but ${entry} is missing` };
}

/** The headers that route a Portkey request to the fake, as an OpenAI-compatible provider. */
export const portkeyHeaders = (fakeUrl: string): Record<string, string> => ({
  'x-portkey-provider': 'openai',
  'x-portkey-custom-host': `${fakeUrl}/v1`,
});

/** Starts the Portkey gateway on a free port and times it to its first 200 chat completion. */
export async function startPortkey(entry: string, probe: ReadyProbe): Promise<StartedPeer> {
  const port = await freePort();
  return startPeer({
    command: process.execPath,
    args: [entry, `--port=${port}`, '--headless'],
    // Production mode: no log UI routes; the same NODE_ENV the product's server runs with.
    env: { NODE_ENV: 'production' },
    port,
    probe,
  });
}
