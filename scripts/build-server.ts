import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Plugin } from 'esbuild';

/**
 * The server's production build (`npm run build`): src/ bundled by esbuild into dist/src/main.js
 * and a few chunks beside it. Node then reads one file instead of resolving, reading and
 * compiling ~300 modules of src/ and node_modules (and running the CommonJS export lexer on
 * each CommonJS package the ESM sources import), which was most of the start-up CPU
 * (BENCHMARKS.md, "Issue 18, second pass (start-up)").
 *
 * - Entry: src/start.ts (turns on Node 22's compile cache, then imports main.ts). Code reached
 *   only through `import()` (the tokenizer's ranks, OTLP exporters, jose, ...) becomes a chunk
 *   of its own, read on first use.
 * - External (left to node_modules at run time): better-sqlite3 (a native addon), pino and
 *   pino-pretty (pino's transports start worker threads from files found by path), the OpenTelemetry
 *   SDK that telemetry/tracing.ts imports only when tracing is on (sdk-trace-node is CommonJS:
 *   see below; the rest stay with it so the SDK is one copy, loaded as before), and whatever
 *   src/lazy-require.ts loads (a `require(id)` esbuild cannot see into, on purpose).
 * - A CommonJS package reached through `import()` fails the build: esbuild's chunk for it would
 *   export only `default`, where Node's own import() also offers the named exports the code uses
 *   (seen with sdk-trace-node: "NodeTracerProvider is not a constructor"). Such a package goes
 *   into EXTERNAL.
 * - `require` for the bundled CommonJS packages comes from `createRequire` (an ESM bundle has none),
 *   and `__dirname`/`__filename` from where the file lies in node_modules (ownPaths below), so
 *   @fastify/swagger-ui, bundled, still serves Swagger UI from its own `static/` folder.
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
 * CommonJS files of node_modules that find their own files by `__dirname` or `__filename`
 * (@fastify/swagger-ui serves Swagger UI from its `static/` folder) get their real paths: the file
 * in node_modules, found from the bundle's own location (`__bundleUrl`, the banner's
 * `import.meta.url`: import.meta in a CommonJS file would make esbuild take it for ESM) by the
 * relative path between the two at build time. An ESM bundle has neither variable otherwise.
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
        return { contents: `${own}\n${text}`, loader: 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}

/**
 * Bundles `<srcRoot>/src/start.ts` into `<outDir>/main.js` (outDir emptied first; a tree from
 * before start.ts existed, such as the bench's `--baseline`, is bundled from src/main.ts). `outDir`
 * must sit where node_modules resolves (the external packages). Returns the output files' count
 * and the source files whose code is in the output (paths relative to the working directory, as
 * esbuild names them);
 * throws esbuild's error (with every message) when the sources do not bundle.
 */
export async function bundleServer(srcRoot: string, outDir: string, extra: Partial<BuildOptions> = {}): Promise<{ files: number; inputs: string[] }> {
  rmSync(outDir, { recursive: true, force: true });
  const start = join(srcRoot, 'src/start.ts');
  const result = await build({
    plugins: [ownPaths(outDir)],
    entryPoints: [{ in: existsSync(start) ? start : join(srcRoot, 'src/main.ts'), out: 'main' }],
    outdir: outDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // jsonc-parser's `main` is a UMD build whose require calls esbuild cannot follow; its `module` build is plain ESM.
    mainFields: ['module', 'main'],
    external: EXTERNAL,
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url); const __bundleUrl = import.meta.url;" },
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: 'linked',
    legalComments: 'linked',
    logLevel: 'warning',
    metafile: true,
    ...extra,
  });
  const meta = result.metafile ?? { inputs: {}, outputs: {} };
  for (const output of Object.values(meta.outputs)) {
    const input = output.entryPoint ? meta.inputs[output.entryPoint] : undefined;
    if (input?.format === 'cjs') {
      throw new Error(`${output.entryPoint} is CommonJS and imported with import(): its chunk would export only 'default'; add its package to EXTERNAL in scripts/build-server.ts`);
    }
  }
  for (const file of Object.keys(meta.outputs).filter((f) => f.endsWith('.js'))) asciiOnly(file);
  const inputs = new Set(Object.values(meta.outputs).flatMap((o) => Object.entries(o.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([path]) => path)));
  return { files: Object.keys(meta.outputs).length, inputs: [...inputs] };
}

/**
 * Rewrites a bundle file's non-ASCII characters as `\uXXXX` escapes. V8 holds a script's source
 * for as long as its functions live, as one byte per character only when every character fits
 * in Latin-1: a single `•` in a regular expression (esbuild escapes strings, not regex
 * literals) made the 3.4 MB main chunk a two-byte string, 6.9 MB of heap. The escapes mean the
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
