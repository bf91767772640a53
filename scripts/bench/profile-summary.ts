import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Reads a V8 .cpuprofile (from `npm run bench -- --profile`) and prints where the
 * time went: self time by function, self time by file or package, and inclusive
 * time of the product's own functions (src/). Usage:
 *   tsx scripts/bench/profile-summary.ts [file.cpuprofile | directory (newest file)] [--top=25]
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const args = process.argv.slice(2);
const top = Number(args.find((a) => a.startsWith('--top='))?.slice(6) ?? 25);
let target = args.find((a) => !a.startsWith('--')) ?? new URL('./profiles/', import.meta.url).pathname;
if (statSync(target).isDirectory()) {
  const files = readdirSync(target)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(target, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!files[0]) throw new Error(`no .cpuprofile in ${target}`);
  target = files[0];
}
const profile = JSON.parse(readFileSync(target, 'utf8')) as Profile;

/**
 * The production bundle (dist/src/server.cjs, which the load sections run) is one file: its frames are
 * mapped back to the source files through the bundle's linked source map (Node's own SourceMap reader).
 */
const sourceMaps = new Map<string, { map: SourceMap; dir: string } | null>();
function sourceMapOf(url: string): { map: SourceMap; dir: string } | null {
  let found = sourceMaps.get(url);
  if (found === undefined) {
    found = null;
    if (url.startsWith('file://')) {
      const file = fileURLToPath(url);
      if (existsSync(`${file}.map`)) found = { map: new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))), dir: dirname(file) };
    }
    sourceMaps.set(url, found);
  }
  return found;
}
for (const node of profile.nodes) {
  const f = node.callFrame;
  const sm = f.url ? sourceMapOf(f.url) : null;
  if (!sm) continue;
  const entry = sm.map.findEntry(f.lineNumber, f.columnNumber) as { originalSource?: string; originalLine?: number };
  if (!entry.originalSource) continue;
  const source = entry.originalSource;
  f.url = source.startsWith('file://') ? source : pathToFileURL(resolve(sm.dir, source)).href;
  f.lineNumber = entry.originalLine ?? 0;
}

const cwd = process.cwd();
const where = (f: CallFrame): string => {
  if (!f.url) return '(native)';
  // The bench runs the product built into node_modules/.cache/mo-bench[-baseline]/ (build.ts): own code, not a package.
  const path = f.url.replace(/^file:\/\//, '').replace(/node_modules\/\.cache\/mo-bench[^/]*\//, '');
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + 13).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (path.startsWith('node:')) return path;
  // The product's files as src/..., also when the server was built from a copy (--src=<dir>).
  const inSrc = path.lastIndexOf('/src/');
  return inSrc >= 0 ? path.slice(inSrc + 1) : relative(cwd, path);
};
const label = (f: CallFrame): string => `${f.functionName || '(anonymous)'}  ${where(f)}${f.url && !/node_modules\/(?!\.cache\/mo-bench)/.test(f.url) ? `:${f.lineNumber + 1}` : ''}`;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const totalUs = profile.endTime - profile.startTime;
const idleUs = [...selfUs].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((s, [, v]) => s + v, 0);
const busyUs = totalUs - idleUs;

const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
const selfByFn = new Map<string, number>();
const selfByFile = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id)!;
  if (node.callFrame.functionName === '(idle)') continue;
  add(selfByFn, label(node.callFrame), us);
  add(selfByFile, where(node.callFrame), us);
  // Inclusive time of src/ and scripts/ frames: each distinct frame on the stack once.
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const f = byId.get(cur)!.callFrame;
    const w = where(f);
    if (!w.startsWith('src/')) continue;
    const l = label(f);
    if (seen.has(l)) continue;
    seen.add(l);
    add(inclusive, l, us);
  }
}

const print = (title: string, m: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${(us / 1000).toFixed(0).padStart(8)} ms ${((us / busyUs) * 100).toFixed(1).padStart(5)} %  ${k}\n`);
  }
};
process.stdout.write(`${target}\nwall ${(totalUs / 1e6).toFixed(1)} s, busy ${(busyUs / 1e6).toFixed(1)} s (percentages are of busy time)\n`);
print('self time by file / package', selfByFile);
print('self time by function', selfByFn);
print('inclusive time of src/ functions', inclusive);
