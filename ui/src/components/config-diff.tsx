import type { ConfigDocument, PatchOperation } from '../config-api.js';
import { short } from '../config-api.js';

const ABSENT = Symbol('absent');

/** The value at an RFC 6901 JSON Pointer, or ABSENT. */
function at(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  let node: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return ABSENT;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

const show = (v: unknown): string => (v === ABSENT ? '' : JSON.stringify(v, null, 2));

/** A pointer as a dotted config path (`/routing/tiers/M/model/0/weight` → `routing.tiers.M.model.0.weight`). */
export const dotted = (pointer: string): string => pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).join('.') || '(whole document)';

/**
 * Two config versions side by side, one row per change of the server's RFC 6902 diff: the path,
 * the value in the first version and in the second. What kind of change it is is said in words
 * (added, removed, changed), not only by colour.
 */
export function ConfigDiff(props: { from: { hash?: string; document: ConfigDocument | null }; to: { hash?: string; document: ConfigDocument | null }; diff: PatchOperation[]; caption?: string }) {
  if (props.diff.length === 0) return <p class="muted" data-testid="config-diff-empty">No differences.</p>;
  return (
    <div class="table-wrap">
      <table class="config-diff" data-testid="config-diff">
        <caption>{props.caption ?? `${props.diff.length} change${props.diff.length === 1 ? '' : 's'}`}</caption>
        <thead>
          <tr>
            <th scope="col">Path</th>
            <th scope="col">Change</th>
            <th scope="col">{props.from.hash ? <code>{short(props.from.hash)}</code> : 'Before'}</th>
            <th scope="col">{props.to.hash ? <code>{short(props.to.hash)}</code> : 'After'}</th>
          </tr>
        </thead>
        <tbody>
          {props.diff.map((op, i) => {
            const before = props.from.document ? at(props.from.document, op.op === 'move' ? (op.from ?? op.path) : op.path) : ABSENT;
            const after = op.op === 'remove' ? ABSENT : op.op === 'move' || op.op === 'copy' ? (props.to.document ? at(props.to.document, op.path) : ABSENT) : op.value;
            const kind = op.op === 'remove' ? 'removed' : op.op === 'add' && before === ABSENT ? 'added' : 'changed';
            return (
              <tr key={i} class={`diff-${kind}`} data-path={dotted(op.path)}>
                <th scope="row">
                  <code>{dotted(op.path)}</code>
                </th>
                <td>{kind}</td>
                <td class="diff-before">
                  <pre>{show(before)}</pre>
                </td>
                <td class="diff-after">
                  <pre>{show(after)}</pre>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
