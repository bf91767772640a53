import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface LockedPackage {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/**
 * Dependencies of locked packages that the lockfile does not hold. `npm ci` (the Dockerfile's build
 * stage, Railway's build, .ci/run) refuses such a lockfile ("Missing: <name> from lock file"), also for
 * an optional dependency of another platform: vite 8.4.0's napi-windows-process-start-time, which this
 * registry does not serve, was dropped by `npm install` and broke every `npm ci` (fixed by pinning vite).
 * A dependency counts as held when some `node_modules/<name>` entry exists (node's lookup walks up).
 */
function missingFromLock(lock: { packages: Record<string, LockedPackage> }): string[] {
  const held = new Set(Object.keys(lock.packages).map((path) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)));
  const missing: string[] = [];
  for (const [path, pkg] of Object.entries(lock.packages)) {
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      if (!held.has(name)) missing.push(`${name} (needed by ${path || 'the project'})`);
    }
  }
  return missing;
}

describe('package-lock.json', () => {
  it('holds every dependency and optional dependency of every locked package, so npm ci accepts it', () => {
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, LockedPackage> };
    expect(missingFromLock(lock)).toEqual([]);
  });

  it('names an optional dependency the lockfile lacks', () => {
    const lock = { packages: { '': { dependencies: { vite: '^8' } }, 'node_modules/vite': { optionalDependencies: { 'napi-windows-process-start-time': '^0.1.0' } } } };
    expect(missingFromLock(lock)).toEqual(['napi-windows-process-start-time (needed by node_modules/vite)']);
  });
});
