import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasService } from '../helpers/has-service.js';
import { startServerProcess } from '../helpers/server-process.js';

const ENTRYPOINT = resolve('deploy/docker-entrypoint.sh');
const APP_UID = 1000;

/** The real uid of a running process, from /proc. */
const uidOf = (pid: number): number => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

/** Runs the container's entrypoint the way the image does (`ENTRYPOINT` + the server command), the server from source. */
async function startThroughEntrypoint(dataDir: string, asUid?: number) {
  const server = await startServerProcess(
    'orchestration_config.json',
    { DATA_DIR: dataDir, STORE_DRIVER: 'sqlite', HOME: '' },
    { command: ENTRYPOINT, args: [process.execPath, '--import', 'tsx', 'src/main.ts'], uid: asUid },
  );
  const stop = () => {
    server.child.kill('SIGTERM');
    return server.exited;
  };
  return { ...server, stop };
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

    const { child, url, stop } = await startThroughEntrypoint(dataDir);
    try {
      expect(uidOf(child.pid!)).toBe(APP_UID);
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      const db = join(dataDir, 'orchestrator.db');
      expect(existsSync(db)).toBe(true);
      expect(statSync(db).uid).toBe(APP_UID);
      expect(statSync(dataDir).uid).toBe(APP_UID);
    } finally {
      expect(await stop()).toBe(0);
    }
  }, 60_000);

  it('started as uid 1000 changes nothing and starts the server unchanged', async () => {
    const dataDir = join(dir, 'own');
    mkdirSync(dataDir, { mode: 0o755 });
    chownSync(dataDir, APP_UID, APP_UID);

    const { child, url, stop } = await startThroughEntrypoint(dataDir, APP_UID);
    try {
      expect(uidOf(child.pid!)).toBe(APP_UID);
      expect((await fetch(`${url}/health`)).status).toBe(200);
      expect(existsSync(join(dataDir, 'orchestrator.db'))).toBe(true);
    } finally {
      expect(await stop()).toBe(0);
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
