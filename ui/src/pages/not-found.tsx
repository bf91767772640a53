import { Link } from 'wouter-preact';

/** A /ui path that names no page. */
export function NotFound() {
  return (
    <section>
      <h1>No such page</h1>
      <p>
        <Link href="/">Back to the console</Link>
      </p>
    </section>
  );
}
