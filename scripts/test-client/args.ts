/**
 * Command line of the test client:
 * `npm run client -- <mode> [--url URL] [--api-key KEY] [--timeout SECONDS]`.
 * Flags win over the environment (ORCHESTRATOR_URL, API_KEY), which wins over defaults.
 */

/** Modes that run unattended; `all` runs them in this order. */
export const AUTOMATED_MODES = [
  'health',
  'models',
  'addons',
  'templates',
  'simple',
  'complex',
  'workflow',
  'template',
  'stats',
  'openai',
] as const;

/** Modes that stand for several automated modes. */
export const GROUP_MODES = {
  catalogue: ['health', 'models', 'addons', 'templates'],
  all: AUTOMATED_MODES,
} as const satisfies Record<string, readonly AutomatedMode[]>;

export type AutomatedMode = (typeof AUTOMATED_MODES)[number];
export type GroupMode = keyof typeof GROUP_MODES;
export type Mode = AutomatedMode | GroupMode | 'chat';

export const ALL_MODES: readonly Mode[] = [...AUTOMATED_MODES, 'catalogue', 'chat', 'all'];

export const DEFAULT_URL = 'http://localhost:8000';
export const DEFAULT_TIMEOUT_S = 300;

export interface ClientOptions {
  mode: Mode;
  /** Base URL without a trailing slash. */
  url: string;
  apiKey: string | undefined;
  /** Per-request time limit. */
  timeoutMs: number;
}

export type ParsedArgs =
  | { kind: 'run'; options: ClientOptions }
  | { kind: 'help' }
  | { kind: 'error'; message: string };

export const USAGE = `Usage: npm run client -- <mode> [--url URL] [--api-key KEY] [--timeout SECONDS]

Modes:
  health      GET / and /health
  models      the configured models: provider, capabilities, pricing
  addons      the prompt addons, counted per category
  templates   the workflow templates and their inputs
  catalogue   health, models, addons and templates
  simple      a simple question through POST /chat (expects category M)
  complex     a multi-deliverable request through POST /chat (expects category H and a workflow)
  workflow    a custom workflow: variable passing, sequential execution, result aggregation
  template    runs research_report with a live progress display (streaming)
  stats       GET /stats, summarised
  openai      the official openai package against <url>/v1, plain and streaming
  chat        an interactive chat that keeps its session (/help inside)
  all         every mode above except chat, then a pass/fail table

Options:
  --url URL          server to talk to (env ORCHESTRATOR_URL, default ${DEFAULT_URL})
  --api-key KEY      sent as "Authorization: Bearer KEY" (env API_KEY)
  --timeout SECONDS  per-request time limit (default ${DEFAULT_TIMEOUT_S})
  -h, --help         this text`;

const MODE_ALIASES: Record<string, Mode> = { catalog: 'catalogue' };

/** Parses argv (without `node script`) and the environment; never throws, never exits. */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ParsedArgs {
  const flags: Record<string, string> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') return { kind: 'help' };
    if (arg === '--') continue;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (!['url', 'api-key', 'timeout'].includes(name)) return { kind: 'error', message: `unknown option --${name}` };
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) return { kind: 'error', message: `option --${name} needs a value` };
      i++;
    }
    flags[name] = value;
  }

  if (positional.length === 0) return { kind: 'error', message: 'no mode given' };
  if (positional.length > 1) return { kind: 'error', message: `one mode at a time (got ${positional.join(', ')})` };
  const raw = positional[0]!.toLowerCase();
  const mode = MODE_ALIASES[raw] ?? (ALL_MODES as readonly string[]).find((m) => m === raw);
  if (!mode) return { kind: 'error', message: `unknown mode '${positional[0]}' (modes: ${ALL_MODES.join(', ')})` };

  const url = normalizeUrl(flags.url ?? nonEmpty(env.ORCHESTRATOR_URL) ?? DEFAULT_URL);
  if (!url) return { kind: 'error', message: `not an http(s) URL: '${flags.url ?? env.ORCHESTRATOR_URL}'` };

  let timeoutMs = DEFAULT_TIMEOUT_S * 1000;
  if (flags.timeout !== undefined) {
    const seconds = Number(flags.timeout);
    if (!Number.isFinite(seconds) || seconds <= 0) return { kind: 'error', message: `--timeout must be a positive number of seconds (got '${flags.timeout}')` };
    timeoutMs = Math.round(seconds * 1000);
  }

  return { kind: 'run', options: { mode: mode as Mode, url, apiKey: flags['api-key'] ?? nonEmpty(env.API_KEY), timeoutMs } };
}

/** The automated modes a mode stands for (`chat` stands for none). */
export function expandMode(mode: Mode): readonly AutomatedMode[] {
  if (mode === 'chat') return [];
  if (mode in GROUP_MODES) return GROUP_MODES[mode as GroupMode];
  return [mode as AutomatedMode];
}

function nonEmpty(value: string | undefined): string | undefined {
  return value && value.trim() !== '' ? value.trim() : undefined;
}

/** Accepts `host:port` too (adds http://); drops trailing slashes. Returns null when not http(s). */
function normalizeUrl(raw: string): string | null {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  return `${parsed.origin}${parsed.pathname}`.replace(/\/+$/, '');
}
