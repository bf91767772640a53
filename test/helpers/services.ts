import { spawnSync } from 'node:child_process';

/**
 * Things some tests need that `npm install` cannot bring. On a developer's machine a missing one
 * skips exactly the tests that need it, and vitest.config.ts says so in one line; with
 * REQUIRE_SERVICES=1 (set by .ci/run; or a comma-separated list of names) a missing one fails the
 * run before any test starts.
 * A test file needing one either lives under `files` (skipped whole) or guards its suite with
 * `describe.skipIf(!hasService(name))` (test/helpers/has-service.ts).
 */
export const SERVICES = {
  'redis-server': {
    install: 'apt-get install redis-server, or brew install redis',
    files: [
      'test/redis/**',
      'test/runs/webhooks-shared.test.ts',
      'test/runs/schedules-shared.test.ts',
      'test/control/shared-config.test.ts',
      'test/control/shared-traffic.test.ts',
    ],
    probe: () => runs(process.env.REDIS_SERVER_BIN ?? 'redis-server', ['--version']),
  },
  promtool: {
    install: "apt-get install prometheus (Debian's package has promtool)",
    files: [],
    probe: () => runs(process.env.PROMTOOL_BIN ?? 'promtool', ['--version']),
  },
  chromium: {
    install: "apt-get install chromium (Debian's package; the console's browser tests drive it with playwright-core, no browser download)",
    files: ['test/console/**'],
    probe: () => runs(process.env.CHROMIUM_BIN ?? 'chromium', ['--version']),
  },
  openssl: {
    install: 'apt-get install openssl (the webhook and drift tests give their https receiver a self-signed certificate with it)',
    files: ['test/runs/webhooks-http.test.ts', 'test/runs/webhook-outbox-crash.test.ts', 'test/runs/webhooks-shared.test.ts', 'test/telemetry/drift.test.ts'],
    probe: () => runs('openssl', ['version']),
  },
  'root with setpriv': {
    install: 'run the tests as root on Linux (util-linux setpriv) to test the container entrypoint',
    files: [],
    probe: () => process.getuid?.() === 0 && runs('setpriv', ['--version']),
  },
} as const satisfies Record<string, { install: string; files: readonly string[]; probe: () => boolean }>;

export type Service = keyof typeof SERVICES;

function runs(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 10_000 });
  return result.error === undefined && result.status === 0;
}

/**
 * Probes every service once. Returns the missing ones and the test files to leave out; prints the
 * one line that says so, or throws when REQUIRE_SERVICES=1.
 */
export function checkServices(env: NodeJS.ProcessEnv = process.env): { missing: Service[]; exclude: string[] } {
  const missing = (Object.keys(SERVICES) as Service[]).filter((name) => !SERVICES[name].probe());
  if (missing.length === 0) return { missing, exclude: [] };
  const describe = (names: Service[]) => names.map((name) => `${name} (${SERVICES[name].install})`).join('; ');
  // REQUIRE_SERVICES=1: every service; or a comma-separated list of names.
  const wanted = env.REQUIRE_SERVICES?.trim();
  const required = wanted === '1' ? missing : missing.filter((name) => (wanted ?? '').split(',').map((w) => w.trim()).includes(name));
  if (required.length > 0) throw new Error(`REQUIRE_SERVICES=${wanted} but this machine lacks: ${describe(required)}`);
  const list = describe(missing);
  process.stderr.write(`[services] skipping the tests that need: ${list}. REQUIRE_SERVICES=1 makes this a failure.\n`);
  return { missing, exclude: missing.flatMap((name) => [...SERVICES[name].files]) };
}
