import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import module, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

/**
 * The production entry (`npm run build` writes it as dist/src/main.js beside the server bundle,
 * dist/src/server.cjs: scripts/build-server.ts). It runs the bundle the way Node runs a CommonJS
 * file, with one difference: V8's code cache. Compiling the bundle and the functions the start
 * runs is about a fifth of a cold start's CPU; V8 can hand that compiled code back as bytes
 * (`script.createCachedData()`) and take them again at the next start (`cachedData`), where
 * Node 20 has no compile cache of its own (Node 22's `module.enableCompileCache` is turned on
 * too, for the packages loaded from node_modules).
 *
 * - The cache is a file in NODE_COMPILE_CACHE, or os.tmpdir()/node-compile-cache (Node 22's
 *   default), named by a hash of the bundle's text, Node's version and the node flags (V8 refuses
 *   a cache made under other flags). NODE_DISABLE_COMPILE_CACHE=1 turns it off, as on Node 22.
 * - A start that found no usable cache writes one: when the process exits, or 30 s after the
 *   start if it is still running, whichever comes first, so that it holds the functions the
 *   start and the first requests compiled. The first start after an install or an upgrade
 *   therefore compiles everything, as before; the next ones read the cache.
 * - With `--enable-source-maps` (NODE_OPTIONS) the bundle is loaded by Node's own `require`, without
 *   the cache: Node maps stack traces to src/ only for the files its loader compiled.
 * - Any failure to read or write the cache (a read-only or full disk, a truncated file) only means
 *   compiling as without one; V8 checks a cache against the text and flags and ignores one that
 *   does not match (`cachedDataRejected`), which is then rewritten.
 */
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

runServer(fileURLToPath(new URL('./server.cjs', import.meta.url)));

/** Runs the bundle as Node runs a CommonJS file (its exports, require, module, __filename, __dirname), with the code cache. */
function runServer(file: string): void {
  const require = createRequire(file);
  if (process.sourceMapsEnabled) {
    // --enable-source-maps: Node maps stack traces to src/ only for files its own loader compiled.
    require(file);
    return;
  }
  // Locals of this function, so that the file's text and the cache's bytes are not kept once compiled.
  const source = readFileSync(file, 'utf8');
  const cacheFile = codeCacheFile(source);
  const cachedData = cacheFile ? readCache(cacheFile) : undefined;
  const script = new vm.Script(module.wrap(source), { filename: file, ...(cachedData ? { cachedData } : {}) });
  if (cacheFile && (!cachedData || script.cachedDataRejected)) writeCacheLater(script, cacheFile);
  const wrapper = script.runInThisContext() as (exports: object, req: NodeJS.Require, mod: { exports: object }, filename: string, dirname: string) => void;
  const server = { exports: {} };
  wrapper.call(server.exports, server.exports, require, server, file, dirname(file));
}

/** Where the code cache of `source` lives, or null when the cache is turned off. */
function codeCacheFile(text: string): string | null {
  if (process.env.NODE_DISABLE_COMPILE_CACHE === '1') return null;
  const dir = process.env.NODE_COMPILE_CACHE || join(tmpdir(), 'node-compile-cache');
  const key = createHash('sha256').update(text).update(`\0${process.version}\0${process.arch}\0${process.execArgv.join(' ')}`).digest('hex');
  return join(dir, `master-orchestrator-${key.slice(0, 32)}.v8cache`);
}

/** The cache file's bytes, when there is one and this user wrote it (compiled code is code: none planted by another user of a shared tmpdir). */
function readCache(path: string): Buffer | undefined {
  try {
    if (process.getuid && statSync(path).uid !== process.getuid()) return undefined;
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/** A cache file of this server not written for this long is deleted when another one is written (a build's is ~2 MB). */
const STALE_CACHE_MS = 7 * 24 * 3600 * 1000;

/**
 * Writes the script's code cache once: at exit, or 30 s after the start (timer unref'd). Cache
 * files of other builds of this server older than STALE_CACHE_MS go, so upgrades do not pile them
 * up (one still in use is written again by its next start).
 */
function writeCacheLater(compiled: vm.Script, path: string): void {
  let written = false;
  const write = (): void => {
    if (written) return;
    written = true;
    const dir = dirname(path);
    // Written aside, then renamed: a replica starting meanwhile never reads half a file.
    const aside = `${path}.${process.pid}.tmp`;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(aside, compiled.createCachedData());
      renameSync(aside, path);
      const now = Date.now();
      for (const name of readdirSync(dir)) {
        const other = join(dir, name);
        if (other !== path && /^master-orchestrator-[\da-f]+\.v8cache$/.test(name) && now - statSync(other).mtimeMs > STALE_CACHE_MS) rmSync(other, { force: true });
      }
    } catch {
      // No cache this time: the next start compiles, as it would without one.
      try {
        rmSync(aside, { force: true });
      } catch {
        // Left for the next write's clean-up.
      }
    }
  };
  process.once('exit', write);
  setTimeout(write, 30_000).unref();
}
