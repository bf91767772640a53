import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BENCH_ENV, benchConfig } from './bench-config.js';
import { BUILD_DIR, bundledMain, serverNodeFlags } from './build-dirs.js';
import { median } from './numbers.js';
import { freePort, startPeer, stopPeer, type ReadyProbe, type StartedPeer } from './peer-process.js';
import { ms, mib, type Row } from './report.js';

/**
 * Section 10: start-up. The server is started the way production starts it (`node <flags>
 * dist/src/main.js`: the bench's production bundle of src/, build.ts) on the bench config with the
 * shipped storage (SQLite in a fresh temporary DATA_DIR), and timed from spawn to its first
 * 200 answer to a real `POST /v1/chat/completions` through the fake provider; its RSS is
 * read right then. A peer is timed the same way. Each is started `repeats` times; the
 * medians are reported.
 */

/** Each cold start's wall time to the first 200, RSS then, and the CPU it had used. */
export interface Starts {
  startMs: number[];
  readyRssMiB: number[];
  readyCpuMs: number[];
}

export interface StartupFigures {
  server: Starts;
  portkey: Starts | { skipped: string } | null;
  /** The `--baseline=<ref>` server, started the same way in the same run. */
  baseline?: Starts;
}

/** The same chat completion the load runs send, as each side names the model. */
export const readyProbe = (model: string, headers?: Record<string, string>): ReadyProbe => ({
  path: '/v1/chat/completions',
  ...(headers ? { headers } : {}),
  body: { model, messages: [{ role: 'user', content: 'ready?' }] },
});

/** Starts the product's server once (the production bundle's main.js) and times it to its first 200. */
export async function startServerProcess(fakeUrl: string, root = BUILD_DIR): Promise<{ peer: StartedPeer; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'mo-bench-start-'));
  const config = benchConfig({ fakeUrl });
  // What `npm start` opens: the shipped SQLite store (bench-config picks the memory store for the load sections).
  config.storage.driver = 'sqlite';
  const configFile = join(dir, 'orchestration_config.json');
  writeFileSync(configFile, JSON.stringify(config));
  const port = await freePort();
  const peer = await startPeer({
    command: process.execPath,
    args: [...serverNodeFlags(root), bundledMain(root)],
    env: {
      ...BENCH_ENV,
      ORCHESTRATION_CONFIG: configFile,
      CATALOG_DIR: resolve('.'),
      DATA_DIR: join(dir, 'data'),
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      NODE_ENV: 'production',
    },
    port,
    probe: readyProbe('medium_ai'),
  });
  return { peer, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `repeats` cold starts of `start`, stopped after each; the start times and ready RSS of each. */
export async function timeStarts(start: () => Promise<{ peer: StartedPeer; cleanup?: () => void }>, repeats: number): Promise<Starts> {
  const startMs: number[] = [];
  const readyRssMiB: number[] = [];
  const readyCpuMs: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const { peer, cleanup } = await start();
    startMs.push(peer.startMs);
    readyCpuMs.push(peer.readyCpuMs);
    if (peer.readyRssMiB !== null) readyRssMiB.push(peer.readyRssMiB);
    await stopPeer(peer.process);
    cleanup?.();
  }
  return { startMs, readyRssMiB, readyCpuMs };
}

/** Table rows of section 10, with the target (start to first 200 <= 400 ms). */
export function startupRows(f: StartupFigures): Row[] {
  const s = '10 start-up (node, bundled)';
  const startMs = median(f.server.startMs);
  const rows: Row[] = [
    {
      section: s,
      figure: `server: start to first 200 chat | RSS at ready | CPU used (median of ${f.server.startMs.length})`,
      value: `${ms(startMs, 0)} | ${mib(median(f.server.readyRssMiB))} | ${ms(median(f.server.readyCpuMs), 0)}`,
      target: '<= 400 ms',
      pass: startMs <= 400,
    },
  ];
  const p = f.portkey;
  if (p && 'skipped' in p) rows.push({ section: s, figure: 'Portkey', value: `skipped: ${p.skipped}` });
  else if (p) {
    rows.push({
      section: s,
      figure: `Portkey: start to first 200 chat | RSS at ready | CPU used (median of ${p.startMs.length})`,
      value: `${ms(median(p.startMs), 0)} | ${mib(median(p.readyRssMiB))} | ${ms(median(p.readyCpuMs), 0)}`,
    });
  }
  return rows;
}
