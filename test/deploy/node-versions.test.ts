import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { version?: string; engines?: { node?: string } | string[] }> };

describe('supported Node versions (engines)', () => {
  const range = pkg.engines.node;
  // The lowest version of each supported line: if it satisfies a dependency, every later one does too
  // (dependencies declare lower bounds or whole lines, never upper bounds inside a line).
  const floors = range.split('||').map((part) => semver.minVersion(part.trim())!.version);

  it('declares Node 20.19+, 22.13+ and 24+', () => {
    expect(floors).toEqual(['20.19.0', '22.13.0', '24.0.0']);
  });

  it('is satisfied by every installed package, so npm install prints no EBADENGINE warning', () => {
    const unsupported: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      const wanted = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      if (!path || !wanted) continue;
      for (const floor of floors) if (!semver.satisfies(floor, wanted)) unsupported.push(`${path}@${entry.version} wants node ${wanted}, not ${floor}`);
    }
    expect(unsupported).toEqual([]);
  });

  it('includes the Node this suite runs on', () => {
    expect(semver.satisfies(process.versions.node, range)).toBe(true);
  });
});
