import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startFlags as parseStartFlags } from '../../scripts/bench/build.js';

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

  it('leaves the start to the image (a startCommand would replace its ENTRYPOINT), checks /health and restarts on failure', () => {
    // docs.railway.com/deployments/start-command: for a Dockerfile, the start command overrides ENTRYPOINT.
    expect(railway.deploy.startCommand ?? null).toBeNull();
    expect(railway.deploy.healthcheckPath).toBe('/health');
    expect(railway.deploy.restartPolicyType).toBe('ON_FAILURE');
  });

  it('gives the server longer than its shutdown grace before SIGKILL', () => {
    expect(railway.deploy.drainingSeconds! * 1000).toBeGreaterThan(config.server.shutdown_grace_ms);
  });

  it('redeploys when anything the image is built from changes: every COPY source of the Dockerfile, and the Dockerfile', () => {
    // Railway skips a deploy when no changed file matches a watch pattern: a console (ui/) change stayed undeployed.
    const sources = readFileSync('Dockerfile', 'utf8')
      .replace(/\\\n/g, ' ')
      .split('\n')
      .filter((l) => /^COPY\s/.test(l.trim()) && !/--from=/.test(l))
      .flatMap((l) => l.trim().split(/\s+/).slice(1).filter((w) => !w.startsWith('--')).slice(0, -1));
    expect(sources).toEqual(expect.arrayContaining(['src', 'ui', 'deploy/docker-entrypoint.sh']));
    const patterns = railway.build.watchPatterns ?? [];
    const watched = (path: string) => patterns.includes(path) || patterns.includes(`${path.replace(/^\.\//, '')}/**`);
    expect([...sources.map((s) => s.replace(/^\.\//, '')), 'Dockerfile'].filter((s) => !watched(s))).toEqual([]);
  });
});

describe('no Procfile', () => {
  it('has none, so no platform start command can bypass the image entrypoint', () => {
    expect(existsSync('Procfile')).toBe(false);
  });
});

/** The node flags of `npm start` (V8 heap sizing): the Dockerfile, the start scripts and the bench start the server with the same. */
const startFlags = parseStartFlags(readFileSync('package.json', 'utf8'));

describe('node flags', () => {
  it('npm start sizes the V8 heap (a young generation and old-generation growth smaller than the defaults)', () => {
    expect(startFlags.some((f) => f.startsWith('--max-semi-space-size='))).toBe(true);
    expect(startFlags.some((f) => f.startsWith('--heap-growing-percent='))).toBe(true);
  });

  it('npm start gives V8 one background thread (each allocating thread keeps a malloc arena of its own)', () => {
    expect(startFlags).toContain('--v8-pool-size=1');
  });

  it('scripts/start.sh and scripts/start.bat start node with the same flags as npm start', () => {
    expect(readFileSync('scripts/start.sh', 'utf8')).toContain(`exec node ${startFlags.join(' ')} dist/src/main.js`);
    expect(readFileSync('scripts/start.bat', 'utf8')).toContain(`node ${startFlags.join(' ')} dist\\src\\main.js`);
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

  it('ships production dependencies only', () => {
    expect(text).toMatch(/npm prune --omit=dev|npm ci --omit=dev/);
  });

  it('has no VOLUME instruction (Railway refuses Dockerfiles with one; persistence is a Railway Volume)', () => {
    for (const line of instructions) expect(line).not.toMatch(/^VOLUME\b/i);
  });

  it('starts through the entrypoint that drops to uid 1000, with the server as an exec-form CMD', () => {
    const runtime = instructions.slice(instructions.lastIndexOf(froms.at(-1)!));
    expect(runtime.find((l) => l.startsWith('ENTRYPOINT '))).toBe('ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]');
    expect(runtime.find((l) => l.startsWith('CMD '))).toBe(`CMD ${JSON.stringify(['node', ...startFlags, 'dist/src/main.js']).replace(/","/g, '", "')}`);
    expect(text).toMatch(/COPY (--chmod=755 )?deploy\/docker-entrypoint\.sh \/usr\/local\/bin\/docker-entrypoint\.sh/);
    // A USER would keep the entrypoint from fixing a root-owned volume; the drop happens in the script.
    expect(runtime.filter((l) => l.startsWith('USER '))).toEqual([]);
    const script = readFileSync('deploy/docker-entrypoint.sh', 'utf8');
    expect(script).toMatch(/app_uid="\$\{APP_UID:-1000\}"/);
    expect(script).toMatch(/exec setpriv --reuid="\$app_uid"/);
    expect(statSync('deploy/docker-entrypoint.sh').mode & 0o111).not.toBe(0);
  });

  it('uses PORT as the server does, and health-checks the path railway.json checks', () => {
    const env = instructions.filter((l) => l.startsWith('ENV ')).join(' ');
    expect(env).toMatch(/\bPORT=8000\b/);
    expect(instructions.find((l) => l.startsWith('EXPOSE '))).toBe('EXPOSE 8000');
    expect(readFileSync('src/main.ts', 'utf8')).toContain('process.env.PORT');
    const railway = JSON.parse(readFileSync('railway.json', 'utf8'));
    const healthcheck = instructions.find((l) => l.startsWith('HEALTHCHECK '))!;
    expect(healthcheck).toContain(`process.env.PORT||8000)+'${railway.deploy.healthcheckPath}'`);
  });

  it('fails the install step itself when npm ci leaves an incomplete tree', () => {
    const install = instructions.find((l) => l.startsWith('RUN npm ci'))!;
    expect(install).toContain('npm ls --all');
    expect(install).toContain('node_modules/.bin/tsc');
  });

  it('keeps only the compiled better-sqlite3 addon in the runtime dependencies', () => {
    expect(text).toMatch(/rm -rf build deps src/);
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

describe('.env.example', () => {
  const listed = new Map(
    [...readFileSync('.env.example', 'utf8').matchAll(/^#? ?([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]),
  );
  const sources = (dir: string): string[] =>
    readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => join(dir, f));

  it('lists every environment variable the server, the config and the entrypoint read', () => {
    const read = new Set<string>();
    for (const file of sources('src')) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\benv(?:\.|\[')([A-Z][A-Z0-9_]*)/g)) read.add(m[1]!);
    }
    for (const m of readFileSync('orchestration_config.json', 'utf8').matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)) read.add(m[1]!);
    for (const name of Object.keys(config.providers)) read.add(`${name.toUpperCase()}_BASE_URL`);
    for (const m of readFileSync('deploy/docker-entrypoint.sh', 'utf8').matchAll(/\$\{([A-Z][A-Z0-9_]*):-/g)) read.add(m[1]!);
    expect(read.size).toBeGreaterThan(10);
    expect([...read].filter((name) => !listed.has(name))).toEqual([]);
  });

  it('shows the shipped defaults', () => {
    expect(listed.get('PORT')).toBe('8000');
    expect(listed.get('HOST')).toBe('0.0.0.0');
    for (const [name, provider] of Object.entries(config.providers) as [string, { base_url: string }][]) {
      expect(listed.get(`${name.toUpperCase()}_BASE_URL`)).toBe(provider.base_url);
    }
  });
});
