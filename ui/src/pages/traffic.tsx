import { useEffect, useRef, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { describeError } from '../api.js';
import { ConfigDiff } from '../components/config-diff.js';
import { ErrorNote } from '../components/error-note.js';
import { ProblemList } from '../components/problem-list.js';
import { apportion, rebalance } from '../components/split-weights.js';
import { StateBadge, type Tone } from '../components/state-badge.js';
import { useConfigChange } from '../hooks/use-config-change.js';
import { usePoll } from '../hooks/use-poll.js';
import {
  changeConfig,
  getActiveConfig,
  getExperiment,
  listExperiments,
  short,
  type Canary,
  type ChangeAnswer,
  type ConfigDocument,
  type ConfigVersion,
  type Shadow,
} from '../config-api.js';
import { usd, when } from '../runs-api.js';
import './operations.css';

interface Arm {
  model: string;
  weight: number;
  canary?: Record<string, unknown>;
}

/** A weighted split of the active config: where it sits (a JSON Pointer and its dotted id) and its arms. */
interface Split {
  id: string;
  pointer: string;
  arms: Arm[];
}

/** Every place the routing may name weighted arms (README "Splits, canaries and shadows"). */
function findSplits(doc: ConfigDocument): Split[] {
  const routing = (doc.routing ?? {}) as Record<string, unknown>;
  const found: Split[] = [];
  const add = (id: string, pointer: string, value: unknown) => {
    if (Array.isArray(value) && value.every((a) => a && typeof a === 'object' && typeof (a as Arm).model === 'string')) found.push({ id, pointer, arms: value as Arm[] });
  };
  const tiers = (routing.tiers ?? {}) as Record<string, Record<string, unknown>>;
  for (const t of ['L', 'M', 'H']) add(`routing.tiers.${t}.model`, `/routing/tiers/${t}/model`, tiers[t]?.model);
  for (const role of ['planner', 'strongest', 'default_task_model']) add(`routing.${role}`, `/routing/${role}`, routing[role]);
  return found;
}

/**
 * Traffic: the visual splitter — per split, one slider per arm, weights always summing to 100
 * (moving one re-balances the others in proportion); every move previews the config diff as a
 * dry run, and "Apply" makes a new config version. Below, the canaries (ramp, guard rails, the
 * figures that decided) and the shadows (primary vs shadow).
 */
export function Traffic() {
  const [reload, setReload] = useState(0);
  const active = usePoll((signal) => getActiveConfig(signal), 5000, [reload]);
  const experiments = usePoll((signal) => listExperiments(signal), 3000);
  const [notice, setNotice] = useState<{ version: ConfigVersion; split: string } | null>(null);
  const splits = active.data ? findSplits(active.data.document) : [];
  const canaries = (experiments.data?.items ?? []).filter((e): e is Canary => e.kind === 'canary');
  const shadows = (experiments.data?.items ?? []).filter((e): e is Shadow => e.kind === 'shadow');
  return (
    <section aria-labelledby="traffic-title">
      <h1 id="traffic-title">Traffic</h1>
      <ErrorNote error={active.error} />
      {notice && (
        <p role="status" class="notice" data-testid="applied">
          Applied {notice.split}: version <code>{short(notice.version.hash)}</code> is active. <Link href="/config">See it in Config</Link>
        </p>
      )}
      <h2>Splits</h2>
      {active.data && splits.length === 0 && (
        <p class="muted">
          No weighted splits in the active config. Name arms instead of one model in <code>routing</code> (see README, “Splits, canaries and shadows”) and they show here.
        </p>
      )}
      {active.data &&
        splits.map((s) => (
          <SplitEditor
            key={`${s.id}@${active.data!.version.hash}`}
            split={s}
            base={active.data!.version}
            document={active.data!.document}
            onApplied={(version) => {
              setNotice({ version, split: s.id });
              setReload((n) => n + 1);
            }}
          />
        ))}
      <h2>Canaries</h2>
      <ErrorNote error={experiments.error} />
      {experiments.data && canaries.length === 0 && <p class="muted">No canary arms.</p>}
      {canaries.map((c) => (
        <CanaryCard key={c.id} canary={c} />
      ))}
      <h2>Shadows</h2>
      {experiments.data && shadows.length === 0 && <p class="muted">No shadowed routes.</p>}
      {shadows.length > 0 && <ShadowTable shadows={shadows} />}
    </section>
  );
}

function SplitEditor(props: { split: Split; base: ConfigVersion; document: ConfigDocument; onApplied: (v: ConfigVersion) => void }) {
  const { split } = props;
  // Canary arms get their share from the ramp; the sliders split the rest.
  const free = split.arms.map((a, i) => ({ a, i })).filter(({ a }) => !a.canary);
  const initial = apportion(
    free.map(({ a }) => a.weight),
    100,
  );
  const [weights, setWeights] = useState<number[]>(initial);
  const [preview, setPreview] = useState<ChangeAnswer | null>(null);
  const { problems, setProblems, error, setError, busy, send } = useConfigChange();
  const changed = weights.some((w, k) => w !== initial[k]);
  const arms = (): Arm[] => {
    const next = split.arms.map((a) => ({ ...a }));
    free.forEach(({ i }, k) => (next[i]!.weight = weights[k]!));
    return next;
  };
  const body = () => ({ patch: [{ op: 'replace' as const, path: split.pointer, value: arms() }], base: props.base.hash, message: `traffic split ${split.id}: ${free.map(({ a }, k) => `${a.model} ${weights[k]}`).join(' / ')}` });

  // Each change is previewed as a dry run (latest wins), so the diff and any problem show before Apply.
  const seq = useRef(0);
  useEffect(() => {
    if (!changed) {
      setPreview(null);
      setProblems([]);
      return;
    }
    const mine = ++seq.current;
    const timer = setTimeout(() => {
      changeConfig({ ...body(), dry_run: true })
        .then((answer) => {
          if (seq.current !== mine) return;
          setPreview(answer);
          setProblems(answer.problems ?? []);
          setError(null);
        })
        .catch((err: unknown) => seq.current === mine && setError(describeError(err)));
    }, 250);
    return () => clearTimeout(timer);
  }, [weights.join(',')]);

  const apply = () => send(body(), (answer) => props.onApplied(answer.version));

  const fresh = preview !== null && changed;
  return (
    <section class="panel split" aria-labelledby={`split-${split.id}`} data-split={split.id}>
      <h3 id={`split-${split.id}`}>
        <code>{split.id}</code>
      </h3>
      <div class="share-bar" aria-hidden="true">
        {free.map(({ a }, k) => (
          <span key={a.model} style={{ width: `${weights[k]}%` }} class={`share share-${k % 4}`}>
            {weights[k]! >= 12 ? `${a.model} ${weights[k]}%` : ''}
          </span>
        ))}
      </div>
      {split.arms.map((a) => {
        const k = free.findIndex((f) => f.a === a);
        if (k < 0) {
          return (
            <div class="arm" key={a.model}>
              <span class="arm-name">{a.model}</span>
              <span class="muted">canary: its share follows its ramp (see Canaries)</span>
            </div>
          );
        }
        const id = `w-${split.id}-${a.model}`.replace(/[^A-Za-z0-9_-]/g, '_');
        return (
          <div class="arm" key={a.model}>
            <label for={id} class="arm-name">
              {a.model}
            </label>
            <input
              id={id}
              type="range"
              min={0}
              max={100}
              step={1}
              value={weights[k]}
              aria-valuetext={`${weights[k]} percent`}
              disabled={free.length < 2}
              onInput={(e) => setWeights(rebalance(weights, k, Number((e.target as HTMLInputElement).value)))}
            />
            <output for={id} data-testid={`weight-${a.model}`}>
              {weights[k]} %
            </output>
          </div>
        );
      })}
      <div class="controls">
        <button type="button" class="primary" disabled={!fresh || busy || preview?.valid === false} onClick={() => void apply()}>
          {busy ? 'Applying…' : 'Apply'}
        </button>
        <button type="button" disabled={!changed || busy} onClick={() => setWeights(initial)}>
          Reset
        </button>
        <span class="muted">Weights sum to {weights.reduce((x, y) => x + y, 0)} %.</span>
      </div>
      <ErrorNote error={error} />
      <ProblemList problems={problems} />
      {fresh && preview && <ConfigDiff from={{ hash: props.base.hash, document: props.document }} to={{ document: null }} diff={preview.diff} caption="Preview of the config change" />}
    </section>
  );
}

const CANARY_TONE: Record<Canary['state'], Tone> = { running: 'warn', paused: 'idle', rolled_back: 'bad', promoted: 'ok' };
const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)} %`);
const ms = (v: number | null) => (v === null ? '—' : `${Math.round(v)} ms`);

function CanaryCard(props: { canary: Canary }) {
  const c = props.canary;
  const rows: [string, (f: NonNullable<Canary['samples']['baseline']>) => string][] = [
    ['calls', (f) => String(f.calls)],
    ['errors', (f) => String(f.errors)],
    ['error rate', (f) => pct(f.error_rate)],
    ['p95 latency', (f) => ms(f.p95_ms)],
    ['USD per call', (f) => usd(f.cost_per_call_usd)],
  ];
  return (
    <section class="panel canary" aria-label={`canary ${c.canary_model} on ${c.split}`} data-canary={c.id} data-state={c.state}>
      <h3>
        <code>{c.canary_model}</code> on <code>{c.split}</code> <StateBadge tone={CANARY_TONE[c.state]} label={c.state.replace('_', ' ')} />
      </h3>
      <ol class="ramp" aria-label="Ramp">
        {c.ramp.map((step, i) => (
          <li key={i} class={i === c.step ? 'ramp-current' : i < c.step ? 'ramp-done' : ''} aria-current={i === c.step ? 'step' : undefined}>
            {step} %{i === c.step ? ' (now)' : i < c.step ? ' ✓' : ''}
          </li>
        ))}
      </ol>
      <p>
        Share now {c.share_pct} % · {c.step_calls} canary calls at this step since {when(c.step_started_at)} · started {when(c.started_at)}
      </p>
      <p>
        Guard rails:{' '}
        {Object.entries(c.guard)
          .map(([k, v]) => `${k} ${String(v)}`)
          .join(' · ') || 'none'}
      </p>
      <div class="table-wrap">
        <table>
          <caption>Samples: canary vs baseline</caption>
          <thead>
            <tr>
              <th scope="col">Figure</th>
              <th scope="col" class="num">
                {c.canary_model} (canary)
              </th>
              <th scope="col" class="num">
                {c.baseline_model ?? '—'} (baseline)
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map(([label, get]) => (
              <tr key={label}>
                <th scope="row">{label}</th>
                <td class="num">{get(c.samples.canary)}</td>
                <td class="num">{c.samples.baseline ? get(c.samples.baseline) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {c.decision && (
        <div class="decision" role="note">
          <strong>
            {c.decision.status === 'rolled_back' ? '✕ Rolled back' : '✓ Promoted'} at {when(c.decision.at)}
          </strong>
          : {c.decision.reason}
          <dl class="facts">
            {Object.entries(c.decision.figures).map(([k, v]) => [<dt key={`t-${k}`}>{k}</dt>, <dd key={`d-${k}`}>{v === null ? '—' : String(v)}</dd>])}
          </dl>
          {c.decision.config_version && (
            <p>
              Config version <code>{short(c.decision.config_version)}</code>
            </p>
          )}
        </div>
      )}
    </section>
  );
}

/** The last pairs of one shadow (GET /admin/experiments/{id}), newest first. */
function ShadowPairs(props: { id: string }) {
  const detail = usePoll((signal) => getExperiment(props.id, signal), 5000, [props.id]);
  const pairs = detail.data?.kind === 'shadow' ? [...detail.data.recent].reverse().slice(0, 20) : [];
  return (
    <div class="table-wrap">
      <ErrorNote error={detail.error} />
      <table data-testid={`pairs-${props.id}`}>
        <caption>
          Recent pairs of <code>{props.id}</code> (up to 20, newest first)
        </caption>
        <thead>
          <tr>
            <th scope="col">At</th>
            <th scope="col">Request</th>
            <th scope="col" class="num">Latency primary / shadow</th>
            <th scope="col" class="num">Tokens primary / shadow</th>
            <th scope="col" class="num">Cost primary / shadow</th>
            <th scope="col" class="num">Similarity</th>
          </tr>
        </thead>
        <tbody>
          {pairs.map((p) => (
            <tr key={`${p.request_id}-${p.at}`}>
              <td>{when(p.at)}</td>
              <td>
                <code>{p.request_id.slice(0, 12)}</code>
              </td>
              <td class="num">
                {ms(p.primary.latency_ms)} / {p.shadow ? ms(p.shadow.latency_ms) : '—'}
              </td>
              <td class="num">
                {p.primary.tokens} / {p.shadow ? p.shadow.tokens : '—'}
              </td>
              <td class="num">
                {usd(p.primary.cost_usd)} / {p.shadow ? usd(p.shadow.cost_usd) : '—'}
              </td>
              <td class="num">{p.error ? `failed: ${p.error}` : p.similarity === null ? '—' : p.similarity.toFixed(2)}</td>
            </tr>
          ))}
          {detail.data && pairs.length === 0 && (
            <tr>
              <td colSpan={6} class="muted">
                No pairs yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

function ShadowTable(props: { shadows: Shadow[] }) {
  const [open, setOpen] = useState<string | null>(null);
  return (
    <>
      <div class="table-wrap">
        <table class="shadows">
          <caption>Shadow comparisons (primary vs shadow; the shadow's answers are never returned)</caption>
          <thead>
            <tr>
              <th scope="col">Route</th>
              <th scope="col">Shadow model</th>
              <th scope="col" class="num">Sample rate</th>
              <th scope="col" class="num">Pairs</th>
              <th scope="col" class="num">Failed / dropped</th>
              <th scope="col" class="num">p50 primary / shadow</th>
              <th scope="col" class="num">p95 primary / shadow</th>
              <th scope="col" class="num">Mean tokens</th>
              <th scope="col" class="num">Mean cost</th>
              <th scope="col" class="num">Similarity mean (min)</th>
              <th scope="col">Pairs</th>
            </tr>
          </thead>
          <tbody>
            {props.shadows.map((s) => (
              <tr key={s.id} data-shadow={s.id}>
                <th scope="row">
                  <code>{s.route}</code>
                </th>
                <td>{s.model}</td>
                <td class="num">{pct(s.sample_rate)}</td>
                <td class="num">{s.pairs}</td>
                <td class="num">
                  {s.failed} / {s.dropped}
                </td>
                <td class="num">
                  {ms(s.primary.latency_ms.p50)} / {ms(s.shadow.latency_ms.p50)}
                </td>
                <td class="num">
                  {ms(s.primary.latency_ms.p95)} / {ms(s.shadow.latency_ms.p95)}
                </td>
                <td class="num">
                  {s.primary.mean_tokens?.toFixed(0) ?? '—'} / {s.shadow.mean_tokens?.toFixed(0) ?? '—'}
                </td>
                <td class="num">
                  {usd(s.primary.mean_cost_usd)} / {usd(s.shadow.mean_cost_usd)}
                </td>
                <td class="num">
                  {s.similarity.mean === null ? '—' : s.similarity.mean.toFixed(2)} ({s.similarity.min === null ? '—' : s.similarity.min.toFixed(2)}) {s.similarity.measure}
                </td>
                <td>
                  <button type="button" aria-expanded={open === s.id} onClick={() => setOpen(open === s.id ? null : s.id)}>
                    {open === s.id ? 'Hide recent' : 'Show recent'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {open && <ShadowPairs id={open} />}
    </>
  );
}
