import type { Problem } from '../config-api.js';

/** The problems the server named for a config change (a dry run's, or a 400's details), each at its path. */
export function ProblemList(props: { problems: Problem[] }) {
  if (props.problems.length === 0) return null;
  return (
    <ul class="problems" aria-label="Problems">
      {props.problems.map((p, i) => (
        <li key={i} data-path={p.path}>
          <code>{p.path}</code>: {p.message}
        </li>
      ))}
    </ul>
  );
}
