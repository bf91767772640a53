import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { bundleServer } from '../build-server.js';
import { BASELINE_DIR, BUILD_DIR, NODE_FLAGS_FILE } from './build-dirs.js';

/**
 * The bench runs its children as plain JavaScript, as production runs the server and the way
 * Portkey ships: under tsx each process would pay the loader's own ~34 MiB and its per-import
 * transpile at start, which is not the product's cost. This transpiles (no type check; `npm
 * test` does that) the server's `src/`, the bench children and the fake provider into one
 * directory that keeps the repository's layout, inside this project's node_modules so the
 * built files resolve the same packages; the bench children import the server from there.
 * Beside it, `dist/src/` is the production bundle exactly as `npm run build` makes it
 * (scripts/build-server.ts), with the repository's built console (dist/ui) copied next to it
 * when there is one: section 10 starts that, `node dist/src/main.js`, as the Dockerfile does.
 */

const COMPILER: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  esModuleInterop: true,
  sourceMap: false,
};

function* tsFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* tsFiles(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) yield path;
  }
}

/**
 * The node flags of a package.json's `start` script (`node <flags> dist/src/main.js`), which
 * the Dockerfile's CMD and scripts/start.sh repeat (test/deploy checks they agree). Throws
 * when the script does not start dist/src/main.js with node.
 */
export function startFlags(packageJson: string): string[] {
  const start = (JSON.parse(packageJson) as { scripts?: { start?: string } }).scripts?.start ?? '';
  const match = /\bnode((?:\s+--\S+)*)\s+dist\/src\/main\.js\b/.exec(start);
  if (!match) throw new Error(`package.json's start script does not run node dist/src/main.js: '${start}'`);
  return match[1]!.trim().split(/\s+/).filter(Boolean);
}

/**
 * Transpiles `<srcRoot>/src` (default: this tree) and this tree's `scripts/bench` and
 * `scripts/fake-provider` into `outDir` (emptied first), writes the node flags of
 * `<srcRoot>/package.json`'s start script beside them (build-dirs.ts's serverNodeFlags), and
 * bundles `<srcRoot>/src` into `outDir/dist/src` as production does. Returns the number of
 * transpiled files and the milliseconds it all took.
 */
export async function buildForBench(srcRoot = '.', outDir = BUILD_DIR): Promise<{ files: number; ms: number }> {
  const t0 = performance.now();
  rmSync(outDir, { recursive: true, force: true });
  const trees: Array<[string, string]> = [
    [resolve(srcRoot, 'src'), 'src'],
    [resolve('scripts/bench'), 'scripts/bench'],
    [resolve('scripts/fake-provider'), 'scripts/fake-provider'],
  ];
  let files = 0;
  for (const [from, to] of trees) {
    for (const file of tsFiles(from)) {
      const out = join(outDir, to, relative(from, file)).replace(/\.ts$/, '.js');
      const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: COMPILER, fileName: file });
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, outputText);
      files += 1;
    }
  }
  // ESM, as this package.json says for the sources.
  writeFileSync(join(outDir, 'package.json'), '{"type":"module"}\n');
  writeFileSync(join(outDir, NODE_FLAGS_FILE), `${JSON.stringify(startFlags(readFileSync(resolve(srcRoot, 'package.json'), 'utf8')))}\n`);
  // A baseline's or --src tree's sources live in a temporary directory: packages resolve from this tree.
  // Each tree is bundled by its own scripts/build-server.ts, as its `npm run build` does (the layout of
  // dist/src changes with it: an ES module bundle before 2026-11-30's third pass, a loader and a
  // CommonJS bundle since), or by this tree's when it has none.
  const own = resolve(srcRoot, 'scripts/build-server.ts');
  const bundle = existsSync(own) ? ((await import(pathToFileURL(own).href)) as typeof import('../build-server.js')).bundleServer : bundleServer;
  await bundle(srcRoot, join(outDir, 'dist/src'), { nodePaths: [resolve('node_modules')] });
  if (existsSync('dist/ui/index.html')) cpSync('dist/ui', join(outDir, 'dist/ui'), { recursive: true });
  return { files, ms: performance.now() - t0 };
}

/**
 * Builds the src/ of git commit `ref` (with this tree's bench children, the node flags of
 * that commit's package.json, and its bundle made by its own scripts/build-server.ts) into BASELINE_DIR,
 * for before/after figures within one run. Throws when git cannot produce the tree.
 */
export async function buildBaseline(ref: string): Promise<{ files: number; ms: number; commit: string }> {
  // Inside node_modules: the commit's build script imports esbuild, resolved from this tree.
  mkdirSync(resolve('node_modules/.cache'), { recursive: true });
  const dir = mkdtempSync(resolve('node_modules/.cache/mo-bench-baseline-src-'));
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', `${ref}^{commit}`], { encoding: 'utf8' }).trim();
    const buildScript = spawnSync('git', ['cat-file', '-e', `${commit}:scripts/build-server.ts`]).status === 0 ? ' scripts/build-server.ts' : '';
    execFileSync('sh', ['-c', `git archive ${commit} src package.json${buildScript} | tar -x -C "${dir}"`]);
    return { ...(await buildForBench(dir, BASELINE_DIR)), commit };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
