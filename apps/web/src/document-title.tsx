import { useEffect, useRef, useState } from 'react';
import { ApiError, cachedDocuments, documentsApi } from './api.js';

const SAVE_DELAY_MS = 500;

/** Props of {@link DocumentTitle}. */
export interface DocumentTitleProps {
  readonly id: string;
}

/** The document's editable title: loaded from the list API, saved (PATCH) shortly after typing stops. */
export function DocumentTitle({ id }: DocumentTitleProps) {
  const [title, setTitle] = useState(() => cachedDocuments().find((d) => d.id === id)?.title ?? '');
  const [note, setNote] = useState<string | null>(null);
  const saved = useRef(title);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => {
    let live = true;
    documentsApi
      .list()
      .then((docs) => {
        const found = docs.find((d) => d.id === id);
        if (live && found !== undefined) {
          saved.current = found.title;
          setTitle(found.title);
        }
      })
      .catch(() => {});
    return () => {
      live = false;
    };
  }, [id]);

  const save = (value: string) => {
    clearTimeout(timer.current);
    const next = value.trim();
    if (next === '' || next === saved.current) return;
    const previous = saved.current;
    saved.current = next;
    documentsApi
      .rename(id, next)
      .then(() => setNote(null))
      .catch((err: unknown) => {
        saved.current = previous;
        setNote(err instanceof ApiError && err.status === 0 ? 'Offline: title not saved' : `Not saved: ${String(err)}`);
      });
  };

  useEffect(() => () => clearTimeout(timer.current), []);

  return (
    <div className="document-title">
      <input
        data-testid="document-title"
        aria-label="Document title"
        className="document-title__input"
        value={title}
        placeholder="Untitled"
        maxLength={200}
        onChange={(event) => {
          const value = event.target.value;
          setTitle(value);
          clearTimeout(timer.current);
          timer.current = setTimeout(() => save(value), SAVE_DELAY_MS);
        }}
        onBlur={(event) => save(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter') save(event.currentTarget.value);
        }}
      />
      {note === null ? null : <span className="document-title__note">{note}</span>}
    </div>
  );
}
