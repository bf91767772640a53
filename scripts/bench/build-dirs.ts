import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Where build.ts puts the bench's JavaScript, in a module of its own: the bench children
 * (server, fake, bare proxy) import child.ts, which needs these paths, and must not load
 * build.ts's TypeScript compiler with them (~79 MiB of RSS in every child, which the memory
 * figures of the server and the bare proxy then carried).
 */

/** Where the build goes: inside node_modules so `import 'fastify'` from a built file resolves. */
export const BUILD_DIR = resolve('node_modules/.cache/mo-bench');
/** The build of `--baseline=<git ref>`: that commit's src/ with this tree's bench children. */
export const BASELINE_DIR = resolve('node_modules/.cache/mo-bench-baseline');

/** The built JavaScript of a bench script (`server-child.ts` → `<BUILD_DIR>/scripts/bench/server-child.js`). */
export const builtScript = (script: string, root = BUILD_DIR): string => join(root, 'scripts/bench', script.replace(/\.ts$/, '.js'));

/** The file of a build that holds the node flags its server is started with (see build.ts's startFlags). */
export const NODE_FLAGS_FILE = 'node-flags.json';

/**
 * The flags production starts node with (`node <flags> dist/src/main.js`) for the build in `root`:
 * every bench run of the server, in-process child or cold start, is started with them, so the
 * memory and CPU figures are those of the server users run.
 */
export const serverNodeFlags = (root = BUILD_DIR): string[] => JSON.parse(readFileSync(join(root, NODE_FLAGS_FILE), 'utf8')) as string[];

/** The production bundle's entry in a bench build (what `node dist/src/main.js` runs; build.ts bundles it). */
export const bundledMain = (root = BUILD_DIR): string => join(root, 'dist/src/main.js');
