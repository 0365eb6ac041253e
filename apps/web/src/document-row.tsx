import { useState } from 'react';
import type { DocumentSummary } from './api.js';
import { documentPath, followLink } from './router.js';

/** Props of {@link DocumentRow}. */
export interface DocumentRowProps {
  readonly doc: DocumentSummary;
  readonly onRename: (title: string) => void;
  readonly onDelete: () => void;
}

/** One entry of the list: a link to the document, rename (inline) and delete. */
export function DocumentRow({ doc, onRename, onDelete }: DocumentRowProps) {
  const [editing, setEditing] = useState(false);
  const finish = (value: string | null) => {
    setEditing(false);
    const title = value?.trim() ?? '';
    if (title !== '' && title !== doc.title) onRename(title);
  };
  return (
    <li className="document-row" data-testid="document-row" data-id={doc.id}>
      {editing ? (
        <input
          data-testid="rename-input"
          aria-label="New title"
          className="document-row__input"
          defaultValue={doc.title}
          // biome-ignore lint/a11y/noAutofocus: the input appears because the user asked to rename
          autoFocus
          onBlur={(event) => finish(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter') finish(event.currentTarget.value);
            if (event.key === 'Escape') finish(null);
          }}
        />
      ) : (
        <a data-testid="document-link" className="document-row__link" href={documentPath(doc.id)} onClick={followLink}>
          {doc.title === '' ? 'Untitled' : doc.title}
        </a>
      )}
      {doc.updatedAt === undefined ? null : (
        <time className="document-row__time" dateTime={doc.updatedAt}>
          {formatTime(doc.updatedAt)}
        </time>
      )}
      <button
        type="button"
        data-testid="rename-document"
        className="button button--quiet"
        onClick={() => setEditing(true)}
      >
        Rename
      </button>
      <button type="button" data-testid="delete-document" className="button button--quiet" onClick={onDelete}>
        Delete
      </button>
    </li>
  );
}

function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? ''
    : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
