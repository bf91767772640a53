import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasService } from '../helpers/has-service.js';

const ENTRYPOINT = resolve('deploy/docker-entrypoint.sh');
const APP_UID = 1000;

/** The real uid of a running process, from /proc. */
const uidOf = (pid: number): number => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

/**
 * Runs the container's entrypoint the way the image does (`ENTRYPOINT` + the server command), with
 * the server started from source; resolves once it listens.
 */
function startThroughEntrypoint(dataDir: string, asUid?: number): Promise<{ child: ChildProcess; url: string }> {
  const output: string[] = [];
  const child = spawn(ENTRYPOINT, [process.execPath, '--import', 'tsx', 'src/main.ts'], {
    env: {
      PATH: process.env.PATH,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      STORE_DRIVER: 'sqlite',
      LOG_LEVEL: 'info',
      TSX_TSCONFIG_PATH: resolve('tsconfig.json'),
    },
    ...(asUid === undefined ? {} : { uid: asUid, gid: asUid }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolveStart, reject) => {
    const onData = (chunk: Buffer) => {
      output.push(String(chunk));
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output.join(''));
      if (match) resolveStart({ child, url: match[1]! });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited early (${code}): ${output.join('')}`)));
  });
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  return exited;
}

describe.skipIf(!hasService('root with setpriv'))('deploy/docker-entrypoint.sh (the image ENTRYPOINT), run for real', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mo-entrypoint-'));
    chmodSync(dir, 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('started as root on a root-owned data directory (a fresh Railway Volume), hands it to uid 1000 and runs the server as uid 1000 with its database there', async () => {
    const dataDir = join(dir, 'volume');
    mkdirSync(dataDir, { mode: 0o755 });
    expect(statSync(dataDir).uid).toBe(0);

    const { child, url } = await startThroughEntrypoint(dataDir);
    try {
      expect(uidOf(child.pid!)).toBe(APP_UID);
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      const db = join(dataDir, 'orchestrator.db');
      expect(existsSync(db)).toBe(true);
      expect(statSync(db).uid).toBe(APP_UID);
      expect(statSync(dataDir).uid).toBe(APP_UID);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  }, 60_000);

  it('started as uid 1000 changes nothing and starts the server unchanged', async () => {
    const dataDir = join(dir, 'own');
    mkdirSync(dataDir, { mode: 0o755 });
    chownSync(dataDir, APP_UID, APP_UID);

    const { child, url } = await startThroughEntrypoint(dataDir, APP_UID);
    try {
      expect(uidOf(child.pid!)).toBe(APP_UID);
      expect((await fetch(`${url}/health`)).status).toBe(200);
      expect(existsSync(join(dataDir, 'orchestrator.db'))).toBe(true);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  }, 60_000);

  it('started as root with a data directory it cannot create, fails before dropping privileges, naming it', async () => {
    const child = spawn(ENTRYPOINT, ['true'], { env: { PATH: process.env.PATH, DATA_DIR: '/proc/nope/data' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += String(c)));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).not.toBe(0);
    expect(stderr).toContain('/proc/nope/data');
  });
});
