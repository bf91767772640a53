import { readdirSync } from 'node:fs';
import { Agent, type Dispatcher } from 'undici';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { startTestApp, streamLogger, type TestApp } from '../helpers/app.js';
import { pointShippedConfigAt } from '../helpers/gateway-config.js';
import type { Observed } from './checks.js';
import type { Operation, RequestPlan, Target } from './requests.js';

/** Fake secrets of every kind the server knows: provider keys, a client API key, an admin key, the webhook secret. */
export const SECRETS = {
  openrouter: 'sk-or-v1-FUZZSECRET-openrouter-7f3a',
  google: 'AIzaFUZZSECRET-google-9c1d',
  openai: 'sk-FUZZSECRET-openai-2b8e',
  client: 'mo-client-FUZZSECRET-5e6f',
  admin: 'mo-admin-FUZZSECRET-1a2b',
  webhook: 'whsec_RlVaWlNFQ1JFVC13ZWJob29r',
} as const;

/** The server under fuzz: the real app (buildApp) over the fake provider, and what the run learned. */
export interface FuzzServer {
  app: TestApp;
  fake: FakeProvider;
  target: Target;
  /** Log lines that carried a secret. */
  logLeaks: string[];
  /** Ids seen in responses, by kind (runs, sessions, keys, versions, experiments). */
  pools: Map<string, string[]>;
  send(plan: RequestPlan): Promise<Observed>;
  close(): Promise<void>;
}

const POOL_LIMIT = 64;

/** Longer than any answer the fake provider and the test config's timeouts allow. */
const REQUEST_TIMEOUT_MS = 30_000;

export async function startFuzzServer(): Promise<FuzzServer> {
  const fake = await startFakeProvider();
  const logLeaks: string[] = [];
  const secrets = Object.values(SECRETS);
  // The shipped logger options (redaction included), at debug so prompts and answers are logged too.
  const logger = streamLogger(
    {
      write(line: string) {
        if (secrets.some((s) => line.includes(s)) && logLeaks.length < 20) logLeaks.push(line.slice(0, 500));
      },
    },
    'debug',
  );
  const app = await startTestApp({
    config: (raw) => {
      pointShippedConfigAt(raw, fake.url);
      // Enough headroom that the caller's own limit (a documented 429) does not hide everything else.
      raw.server.rate_limit = { ...raw.server.rate_limit, max: 1_000_000 };
      raw.server.body_limit_bytes = 1_048_576;
      raw.webhooks = { ...raw.webhooks, secret: '${WEBHOOK_SECRET}' };
    },
    env: { OPENROUTER_API_KEY: SECRETS.openrouter, GOOGLE_AI_API_KEY: SECRETS.google, OPENAI_API_KEY: SECRETS.openai, WEBHOOK_SECRET: SECRETS.webhook },
    apiKeys: [SECRETS.client],
    adminApiKeys: `ops:${SECRETS.admin}`,
    logger,
    jwt: false,
  });
  const pools = new Map<string, string[]>([
    ['templates', readdirSync('templates').filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5))],
    ['models', ['auto', ...Object.keys(app.loaded.config.models), 'openrouter/gpt-x', 'google_ai/gemini-x']],
  ]);
  const target: Target = {
    models: Object.keys(app.loaded.config.models),
    addons: ['seo_writer', 'risk_analyst', 'no_such_addon'],
    templates: pools.get('templates')!,
    poolOf: (op, param) => poolOf(op.path, param),
  };
  const agent = new Agent({ keepAliveTimeout: 10_000, headersTimeout: 60_000, bodyTimeout: 60_000, connections: 8 });

  const remember = (kind: string, id: unknown) => {
    if (typeof id !== 'string' || id.length === 0) return;
    const pool = pools.get(kind) ?? [];
    if (pool.includes(id)) return;
    pool.push(id);
    if (pool.length > POOL_LIMIT) pool.shift();
    pools.set(kind, pool);
  };
  const harvest = (op: Operation, value: unknown, depth = 0): void => {
    if (depth > 6 || !value || typeof value !== 'object') return;
    if (Array.isArray(value)) return value.forEach((v) => harvest(op, v, depth + 1));
    const o = value as Record<string, unknown>;
    remember('runs', o.run_id);
    remember('sessions', o.session_id);
    remember('versions', o.hash);
    if (op.path.startsWith('/admin/keys')) remember('keys', o.id);
    if (op.path.startsWith('/admin/experiments')) remember('experiments', o.id);
    for (const v of Object.values(o)) harvest(op, v, depth + 1);
  };

  return {
    app,
    fake,
    target,
    logLeaks,
    pools,
    async send(plan) {
      const path = plan.op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
        const p = plan.params[name];
        if (!p) return 'x';
        if ('literal' in p) return encodePath(p.literal);
        const pool = pools.get(p.pool) ?? [];
        return pool.length === 0 ? 'missing' : encodePath(pool[p.index % pool.length]!);
      });
      const query = plan.query.length > 0 ? `?${plan.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}` : '';
      const headers: Record<string, string> = { ...plan.extraHeaders };
      const auth = credentialHeader(plan, plan.op.admin);
      if (auth !== undefined) headers.authorization = auth;
      if (plan.contentType) headers['content-type'] = plan.contentType;
      const body = plan.body === undefined ? undefined : Buffer.from(plan.body, 'base64');
      if (process.env.FUZZ_TRACE === '1') process.stderr.write(`[fuzz] ${plan.op.method} ${path}${query} ${plan.bodyKind} ${body?.subarray(0, 200).toString() ?? ''}\n`);
      // A request left hanging is a finding, not a stuck run: the checks report status 0.
      const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
      let res: Dispatcher.ResponseData;
      let text: string;
      try {
        // The path goes out byte for byte (Dispatcher.request takes it as is): a URL string would be
        // normalised by the WHATWG parser first — `%2e%2e` resolved as `..` — and the request would hit
        // another route than the operation under test.
        res = await agent.request({ origin: app.url, path: `${path}${query}`, method: plan.op.method as 'GET', headers, body, signal });
        text = await res.body.text();
      } catch (err) {
        if (!signal.aborted) throw err;
        return { status: 0, headers: {}, text: `no complete answer within ${REQUEST_TIMEOUT_MS} ms: ${plan.op.method} ${path}${query}` };
      }
      if (res.statusCode < 300 && String(res.headers['content-type'] ?? '').startsWith('application/json')) {
        try {
          harvest(plan.op, JSON.parse(text));
        } catch {
          // The checks report a body that is not JSON.
        }
      }
      return { status: res.statusCode, headers: res.headers, text };
    },
    async close() {
      await agent.close();
      await app.close();
      await fake.close();
    },
  };
}

/** A literal path segment as a client would send it: already-escaped text (`%2F`, `%ZZ`) is sent as is. */
const encodePath = (s: string) =>
  // '#', '?' and '/' would end or split the path before the server sees it: always escaped.
  /%[0-9A-Za-z]{0,2}/.test(s) ? s.replace(/[^\x21-\x7e]|[#?/]/g, (c) => encodeURIComponent(c)) : encodeURIComponent(s);

function credentialHeader(plan: RequestPlan, admin: boolean): string | undefined {
  switch (plan.credential) {
    case 'right':
      return `Bearer ${admin ? SECRETS.admin : SECRETS.client}`;
    case 'other_kind':
      return `Bearer ${admin ? SECRETS.client : SECRETS.admin}`;
    case 'wrong':
      return 'Bearer mo-not-a-key';
    case 'malformed':
      return 'Basic Zm9vOmJhcg==';
    case 'none':
      return undefined;
  }
}

function poolOf(path: string, param: string): string | undefined {
  if (param === 'run_id') return 'runs';
  if (param === 'name' && path.startsWith('/template')) return 'templates';
  if (param === 'hash') return 'versions';
  if (param === '*') return 'models';
  if (path.startsWith('/session/')) return 'sessions';
  if (path.startsWith('/admin/keys/')) return 'keys';
  if (path.startsWith('/admin/experiments/')) return 'experiments';
  return undefined;
}
