import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

/**
 * The fields of Railway's config-as-code reference (https://railway.com/railway.schema.json,
 * docs.railway.com/config-as-code/reference), strict: an unknown or mistyped key fails.
 */
const RailwaySchema = z
  .object({
    $schema: z.literal('https://railway.com/railway.schema.json'),
    build: z
      .object({
        builder: z.enum(['RAILPACK', 'DOCKERFILE', 'NIXPACKS']),
        buildCommand: z.string().nullable().optional(),
        dockerfilePath: z.string().nullable().optional(),
        watchPatterns: z.array(z.string()).optional(),
        railpackVersion: z.string().optional(),
      })
      .strict(),
    deploy: z
      .object({
        startCommand: z.string().nullable().optional(),
        preDeployCommand: z.union([z.string(), z.array(z.string())]).optional(),
        numReplicas: z.number().int().positive().optional(),
        healthcheckPath: z.string().startsWith('/').optional(),
        healthcheckTimeout: z.number().int().positive().optional(),
        restartPolicyType: z.enum(['ON_FAILURE', 'ALWAYS', 'NEVER']).optional(),
        restartPolicyMaxRetries: z.number().int().nonnegative().optional(),
        overlapSeconds: z.number().int().nonnegative().optional(),
        drainingSeconds: z.number().int().nonnegative().optional(),
        sleepApplication: z.boolean().optional(),
        cronSchedule: z.string().optional(),
        region: z.string().optional(),
      })
      .strict(),
  })
  .strict();

const config = JSON.parse(readFileSync('orchestration_config.json', 'utf8'));

describe('railway.json', () => {
  const railway = RailwaySchema.parse(JSON.parse(readFileSync('railway.json', 'utf8')));

  it('uses only fields of Railway config-as-code, with the right types', () => {
    expect(railway.build.builder).toBe('DOCKERFILE');
  });

  it('starts the built server, checks /health and restarts on failure', () => {
    expect(railway.deploy.startCommand).toBe('node dist/src/main.js');
    expect(railway.deploy.healthcheckPath).toBe('/health');
    expect(railway.deploy.restartPolicyType).toBe('ON_FAILURE');
  });

  it('gives the server longer than its shutdown grace before SIGKILL', () => {
    expect(railway.deploy.drainingSeconds! * 1000).toBeGreaterThan(config.server.shutdown_grace_ms);
  });
});

describe('Procfile', () => {
  it('declares one web process that runs the built server', () => {
    expect(readFileSync('Procfile', 'utf8').trim()).toBe('web: node dist/src/main.js');
  });
});

describe('Dockerfile essentials (hadolint is not packaged for Debian 12)', () => {
  const text = readFileSync('Dockerfile', 'utf8');
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const froms = instructions.filter((l) => l.startsWith('FROM '));

  it('is multi-stage on pinned, non-latest Node 20 images', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) {
      expect(from).toMatch(/FROM node:20[\w.-]*/);
      expect(from).not.toMatch(/:latest/);
    }
  });

  it('ships production dependencies only and runs as a non-root user', () => {
    expect(text).toMatch(/npm prune --omit=dev|npm ci --omit=dev/);
    const runtime = instructions.slice(instructions.lastIndexOf(froms.at(-1)!));
    const user = runtime.filter((l) => l.startsWith('USER ')).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/USER (root|0)\b/);
  });

  it('has a HEALTHCHECK on /health and an exec-form CMD', () => {
    expect(text).toMatch(/HEALTHCHECK[\s\S]*\/health/);
    expect(instructions.find((l) => l.startsWith('CMD '))).toMatch(/^CMD \[/);
  });

  it('cleans apt lists, uses --no-install-recommends and sets no secret in ENV', () => {
    for (const run of instructions.filter((l) => l.includes('apt-get install'))) {
      expect(run).toContain('--no-install-recommends');
      expect(run).toContain('rm -rf /var/lib/apt/lists/*');
    }
    for (const env of instructions.filter((l) => l.startsWith('ENV '))) expect(env).not.toMatch(/KEY|SECRET|TOKEN|PASSWORD/i);
  });

  it('keeps secrets and build output out of the build context', () => {
    const ignore = readFileSync('.dockerignore', 'utf8').split('\n');
    for (const entry of ['.env', 'node_modules', '.git', 'data']) expect(ignore).toContain(entry);
  });
});
