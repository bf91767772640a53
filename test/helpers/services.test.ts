import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVICES, type Service } from './services.js';

const root = join(import.meta.dirname, '..', '..');

/** Every test file of the suite, relative to the repository root with `/` separators. */
const testFiles = (): string[] =>
  ['src', 'test'].flatMap((dir) =>
    readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.test.ts'))
      .map((name) => `${dir}/${name.split('\\').join('/')}`),
  );

/** `files` entries are a folder (`dir/**`) or one file. */
const listed = (service: Service, file: string): boolean =>
  SERVICES[service].files.some((pattern: string) => (pattern.endsWith('/**') ? file.startsWith(pattern.slice(0, -2)) : file === pattern));

/** What in a test file's text says it needs a service npm cannot install. */
const NEEDS: Array<[Service, RegExp]> = [
  ['redis-server', /\b(sharedTestRedis|startTestRedis|startReplica)\(/],
  ['openssl', /\b(startHttpsReceiver|selfSignedCert)\(/],
];

describe('a test that needs a service is skipped where the service is missing (npm test on a new machine)', () => {
  it('every test file starting a redis-server or running openssl is listed under the service or guards itself with hasService', () => {
    const unguarded = testFiles().flatMap((file) => {
      const text = readFileSync(join(root, file), 'utf8');
      return NEEDS.filter(([service, uses]) => uses.test(text) && !listed(service, file) && !text.includes(`hasService('${service}')`)).map(
        ([service]) => `${file} needs ${service}`,
      );
    });
    expect(unguarded).toEqual([]);
  });
});
