import type { TestProject } from 'vitest/node';
import { probeMissingServices, SERVICES } from './helpers/services.js';

/**
 * Probes the services some tests need once per run. Missing ones: one visible line and their
 * tests skip, unless REQUIRE_SERVICES=1 (CI), where the run fails before any test starts.
 */
export default function setup(project: TestProject): void {
  const missing = probeMissingServices();
  project.provide('missingServices', missing);
  if (missing.length === 0) return;
  const list = missing.map((name) => `${name} (${SERVICES[name].install})`).join('; ');
  if (process.env.REQUIRE_SERVICES === '1') {
    throw new Error(`REQUIRE_SERVICES=1 but this machine lacks: ${list}`);
  }
  process.stderr.write(`\n[services] skipping the tests that need: ${list}. REQUIRE_SERVICES=1 makes this a failure.\n\n`);
}
