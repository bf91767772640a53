import { useState } from 'preact/hooks';

/**
 * A list read a page at a time with the server's cursors: the cursors of the pages walked so far,
 * [undefined] being the first page; "Older" pushes the answer's `next_cursor`, "Newer" walks back.
 */
export interface CursorPages {
  /** The cursor of the page shown (undefined: the first page). */
  cursor: string | undefined;
  /** 1-based number of the page shown. */
  page: number;
  newer(): void;
  older(next: string): void;
  /** Back to the first page (after a change that reorders the list, or new filters). */
  reset(): void;
}

export function useCursorPages(): CursorPages {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  return {
    cursor: cursors[cursors.length - 1],
    page: cursors.length,
    newer: () => setCursors(cursors.slice(0, -1)),
    older: (next) => setCursors([...cursors, next]),
    reset: () => setCursors([undefined]),
  };
}

/** The Newer / page n / Older buttons under a paged table; `next` is the shown page's `next_cursor`. */
export function Pager(props: { label: string; pages: CursorPages; next: string | null | undefined }) {
  const { pages, next } = props;
  return (
    <nav class="pager" aria-label={props.label}>
      <button type="button" disabled={pages.page <= 1} onClick={pages.newer}>
        Newer
      </button>
      <span>page {pages.page}</span>
      <button type="button" disabled={!next} onClick={() => next && pages.older(next)}>
        Older
      </button>
    </nav>
  );
}
