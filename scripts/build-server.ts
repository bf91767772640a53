import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Plugin } from 'esbuild';

/**
 * The server's production build (`npm run build`): src/ bundled by esbuild into
 * dist/src/server.cjs, run by dist/src/main.js (src/start.ts). Node then reads one file instead of
 * resolving, reading and compiling ~300 modules of src/ and node_modules (and running the
 * CommonJS export lexer on each CommonJS package the ESM sources import), which was most of the
 * start-up CPU (BENCHMARKS.md, "Issue 18, second pass (start-up)"); and the loader hands V8 the
 * code it compiled at an earlier start (its code cache), which Node 20 cannot do for an ES module
 * ("Issue 18, third pass (start-up)").
 *
 * - The server is one CommonJS file: the code cache is V8's `vm.Script` cachedData, and an ES
 *   module has no such API on Node 20 without a flag. No code splitting (esbuild splits ESM only):
 *   what only `import()` reaches and is large stays in node_modules instead (IMPORTED_ON_DEMAND).
 * - External (left to node_modules at run time): better-sqlite3 (a native addon), pino and
 *   pino-pretty (pino's transports start worker threads from files found by path), the OpenTelemetry
 *   SDK that telemetry/tracing.ts imports only when tracing is on (the SDK stays one copy, loaded as
 *   before), code of Fastify's the server never runs, and whatever src/lazy-require.ts loads (a
 *   `require(id)` esbuild cannot see into, on purpose).
 * - The sources' `import.meta.url` is the bundle's URL (`__bundleUrl`, from the banner), and
 *   `__dirname`/`__filename` of bundled CommonJS packages are where the file lies in node_modules
 *   (ownPaths below), so @fastify/swagger-ui, bundled, still serves Swagger UI from its own
 *   `static/` folder.
 * - The output is ASCII (asciiOnly below): V8 then keeps the bundle's source at one byte a character.
 * - Whitespace and syntax are minified (a smaller text to parse and to hold), identifiers are
 *   not: function and class names stay readable in stack traces and logs. A source map is
 *   written beside the bundle; run with `NODE_OPTIONS=--enable-source-maps` for stack traces in
 *   terms of src/.
 *
 * Type checking is not esbuild's job: `npm run build` runs `tsc --noEmit` first.
 */

/** Packages the bundle imports at run time from node_modules instead of containing them. */
export const EXTERNAL = [
  'better-sqlite3',
  'pino',
  'pino-pretty',
  '@opentelemetry/sdk-trace-node',
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/core',
  '@opentelemetry/resources',
  '@opentelemetry/exporter-trace-otlp-http',
  '@opentelemetry/exporter-trace-otlp-proto',
  // Code of Fastify's that the server never runs: its default Ajv and fast-json-stringify compilers
  // (app.ts gives it the zod ones at construction) and light-my-request (`inject`, for tests).
  // Bundled, their ~450 KiB were parsed at every start; left here, Fastify would `require` them
  // from node_modules if it ever needed them, as it does unbundled.
  '@fastify/ajv-compiler',
  '@fastify/fast-json-stringify-compiler',
  'light-my-request',
];

/**
 * Packages reached only through `import()` on some paths, loaded from node_modules when first
 * needed: the tokenizer (its cl100k ranks are ~1 MB of text every start would read) and jose
 * (JWT sign-in). In the ESM bundle they were chunks of their own; a CommonJS bundle has none.
 */
export const IMPORTED_ON_DEMAND = ['js-tiktoken', 'jose'];

/**
 * CommonJS files of node_modules that find their own files by `__dirname` or `__filename`
 * (@fastify/swagger-ui serves Swagger UI from its `static/` folder) get their real paths: the file
 * in node_modules, found from the bundle's own location (`__bundleUrl`, the banner's
 * `import.meta.url`: import.meta in a CommonJS file would make esbuild take it for ESM) by the
 * relative path between the two at build time. Otherwise both would name the bundle (dist/src/server.cjs).
 */
function ownPaths(outDir: string): Plugin {
  return {
    name: 'own-paths',
    setup(b) {
      b.onLoad({ filter: /[\\/]node_modules[\\/].*\.c?js$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        if (!/\b__(dirname|filename)\b/.test(text) || !/\b(require\(|module\.exports|exports\.)/.test(text)) return undefined;
        const path = JSON.stringify(relative(resolve(outDir), args.path).split(sep).join('/'));
        const own = `var __filename = require('node:url').fileURLToPath(new URL(${path}, __bundleUrl)), __dirname = require('node:path').dirname(__filename);`;
        // After the file's "use strict" (and the comments before it), which must stay its first statement.
        const strict = /^(?:\s|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)*(['"])use strict\1;?/.exec(text)?.[0] ?? '';
        return { contents: `${strict}${strict ? ';' : ''}${own}\n${text.slice(strict.length)}`, loader: 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}

/**
 * Bundles `<srcRoot>/src/main.ts` into `<outDir>/server.cjs` and writes `<srcRoot>/src/start.ts`,
 * the loader that runs it with V8's code cache, as `<outDir>/main.js` (outDir emptied first).
 * `outDir` must sit where node_modules resolves (the external packages). Returns the output
 * files' count and the source files whose code is in the output (paths relative to the working
 * directory, as esbuild names them); throws esbuild's error (with every message) when the
 * sources do not bundle.
 */
export async function bundleServer(srcRoot: string, outDir: string, extra: Partial<BuildOptions> = {}): Promise<{ files: number; inputs: string[] }> {
  rmSync(outDir, { recursive: true, force: true });
  const common: BuildOptions = {
    outdir: outDir,
    platform: 'node',
    target: 'node20',
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'warning',
    metafile: true,
    ...extra,
  };
  const result = await build({
    ...common,
    plugins: [ownPaths(outDir)],
    entryPoints: [{ in: join(srcRoot, 'src/main.ts'), out: 'server' }],
    outExtension: { '.js': '.cjs' },
    bundle: true,
    format: 'cjs',
    // jsonc-parser's `main` is a UMD build whose require calls esbuild cannot follow; its `module` build is plain ESM.
    mainFields: ['module', 'main'],
    external: [...EXTERNAL, ...IMPORTED_ON_DEMAND],
    // The sources' import.meta.url (ESM) is the bundle's own URL.
    define: { 'import.meta.url': '__bundleUrl' },
    // import() of a package left in node_modules becomes require() in a promise: a script run
    // through node:vm (src/start.ts) may not call import() on Node 20 without an experimental
    // loader, and Node 20.19+ requires ES modules (jose) as well as CommonJS ones.
    supported: { 'dynamic-import': false },
    // "use strict" first: a statement before it would turn the directive into an expression, and the
    // sources (ES modules, strict) would run in sloppy mode.
    banner: { js: "'use strict';var __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    sourcemap: 'linked',
    legalComments: 'linked',
  });
  const loader = await build({ ...common, entryPoints: [{ in: join(srcRoot, 'src/start.ts'), out: 'main' }], format: 'esm' });
  const outputs = { ...(result.metafile?.outputs ?? {}), ...(loader.metafile?.outputs ?? {}) };
  for (const file of Object.keys(outputs).filter((f) => /\.c?js$/.test(f))) asciiOnly(file);
  const inputs = new Set(Object.values(outputs).flatMap((o) => Object.entries(o.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([path]) => path)));
  return { files: Object.keys(outputs).length, inputs: [...inputs] };
}

/**
 * Rewrites a bundle file's non-ASCII characters as `\uXXXX` escapes. V8 holds a script's source
 * for as long as its functions live, as one byte per character only when every character fits
 * in Latin-1: a single `•` in a regular expression (esbuild escapes strings, not regex
 * literals) made the 3.4 MB bundle a two-byte string, 6.9 MB of heap. The escapes mean the
 * same in strings, regular expressions (with or without the u flag), identifiers and the cooked
 * value of template literals; comments are gone with the minified whitespace.
 */
function asciiOnly(file: string): void {
  const text = readFileSync(file, 'utf8');
  // Without the u flag the pattern matches UTF-16 code units: an astral character becomes its surrogate pair's two escapes.
  if (/[\u0080-\uffff]/.test(text)) writeFileSync(file, text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = performance.now();
  const { files } = await bundleServer('.', 'dist/src');
  process.stdout.write(`dist/src: ${files} files bundled in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}
