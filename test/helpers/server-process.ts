import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shippedConfig } from './app.js';
import { pointShippedConfigAt, TEST_ENV } from './gateway-config.js';

/** A server started from the real entry point (src/main.ts) in its own process. */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output: string[];
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/** How to start it when not `node --import tsx src/main.ts` from the repository as this user. */
export interface SpawnOptions {
  /** Another command (the container entrypoint) with its arguments. */
  command?: string;
  args?: string[];
  cwd?: string;
  /** Run as this uid (and gid): the test must run as root. */
  uid?: number;
}

/** Starts src/main.ts as its own process and resolves with its URL once it listens. */
export function startServerProcess(configFile: string, env: NodeJS.ProcessEnv = {}, how: SpawnOptions = {}): Promise<ServerProcess> {
  const output: string[] = [];
  const child = spawn(how.command ?? process.execPath, how.args ?? ['--import', 'tsx', 'src/main.ts'], {
    ...(how.cwd ? { cwd: how.cwd } : {}),
    ...(how.uid === undefined ? {} : { uid: how.uid, gid: how.uid }),
    env: {
      ...process.env,
      ...TEST_ENV,
      ORCHESTRATION_CONFIG: configFile,
      PORT: '0',
      HOST: '127.0.0.1',
      STORE_DRIVER: 'memory',
      LOG_LEVEL: 'info',
      API_KEYS: '',
      REDIS_URL: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output.push(String(chunk));
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output.join(''));
      if (match) resolve({ child, url: match[1]!, output, exited });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited early (${code}): ${output.join('')}`)));
  });
}

/** Polls `probe` until it returns a value (not undefined), or fails after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Waits until a server process's collected output (stdout and stderr) contains `text`. */
export const waitForOutput = (output: string[], text: string, what: string): Promise<true> =>
  waitFor(() => (output.join('').includes(text) ? true : undefined), what);

/**
 * Writes `<dir>/config.json` for a server process: the shipped config pointed at
 * the fake provider, first-byte and response timeouts of `timeoutMs` (default
 * 10 s: a child process on a loaded machine is slow), then `edit`. Returns its path.
 */
export function writeProcessConfig(dir: string, fakeUrl: string, edit?: (raw: Record<string, any>) => void, timeoutMs = 10_000): string {
  const raw = shippedConfig();
  pointShippedConfigAt(raw, fakeUrl);
  raw.timeouts.first_byte_ms = timeoutMs;
  raw.timeouts.response_ms = timeoutMs;
  edit?.(raw);
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(raw));
  return file;
}
