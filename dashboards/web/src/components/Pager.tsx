// Pages through a list the API serves a page at a time by `next` cursor (the audit trail, the quarantine).
// The cursor of every page before the one shown is kept, so going back needs no reverse query.
import { useState } from "preact/hooks";
import { Icon } from "./Icon";

export interface Pages {
  /** The `after` cursor of the page shown; null for the first page. */
  after: string | null;
  /** 1 for the first page. */
  number: number;
  first: () => void;
  previous: () => void;
  next: (cursor: string) => void;
}

export function usePages(): Pages {
  // The cursors from the first page to the one shown, which is last.
  const [trail, setTrail] = useState<(string | null)[]>([null]);
  return {
    after: trail[trail.length - 1],
    number: trail.length,
    first: () => setTrail([null]),
    previous: () => setTrail(trail.slice(0, -1)),
    next: (cursor) => setTrail([...trail, cursor]),
  };
}

/** The words of the buttons; a first-page button only when `first` is given. */
export interface PagerWords {
  first?: string;
  previous: string;
  next: string;
}

export function Pager({
  pages,
  next,
  busy,
  label,
  words,
}: {
  pages: Pages;
  /** The API's cursor of the page after this one; null on the last page. */
  next: string | null;
  busy: boolean;
  label: string;
  words: PagerWords;
}) {
  const onFirst = pages.number === 1;
  return (
    <nav class="pager" aria-label={label}>
      {words.first && (
        <button class="button secondary" disabled={onFirst || busy} onClick={pages.first}>
          {words.first}
        </button>
      )}
      <button class="button secondary" disabled={onFirst || busy} onClick={pages.previous}>
        <Icon name="back" /> {words.previous}
      </button>
      <button class="button secondary" disabled={!next || busy} onClick={() => next && pages.next(next)}>
        {words.next}
      </button>
    </nav>
  );
}
