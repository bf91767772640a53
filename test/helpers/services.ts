import { spawnSync } from 'node:child_process';
import { inject } from 'vitest';

/**
 * Things some tests need that `npm install` cannot bring. On a developer's machine a missing one
 * skips exactly the tests that need it (test/global-setup.ts says so in one line); with
 * REQUIRE_SERVICES=1 (set by .ci/run) a missing one fails the run instead.
 */
export const SERVICES = {
  'redis-server': { install: 'apt-get install redis-server / brew install redis', probe: () => runs(process.env.REDIS_SERVER_BIN ?? 'redis-server', ['--version']) },
  promtool: { install: 'apt-get install prometheus', probe: () => runs(process.env.PROMTOOL_BIN ?? 'promtool', ['--version']) },
  'root with setpriv': {
    install: 'run the tests as root on Linux (util-linux setpriv) to test the container entrypoint',
    probe: () => process.getuid?.() === 0 && runs('setpriv', ['--version']),
  },
} as const satisfies Record<string, { install: string; probe: () => boolean }>;

export type Service = keyof typeof SERVICES;

function runs(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 10_000 });
  return result.error === undefined && result.status === 0;
}

/** Probes every service; the names of those this machine lacks. */
export function probeMissingServices(): Service[] {
  return (Object.keys(SERVICES) as Service[]).filter((name) => !SERVICES[name].probe());
}

declare module 'vitest' {
  export interface ProvidedContext {
    missingServices: Service[];
  }
}

/** Whether the tests needing `service` run here (use as `describe.skipIf(!hasService('redis-server'))`). */
export function hasService(service: Service): boolean {
  return !inject('missingServices').includes(service);
}
