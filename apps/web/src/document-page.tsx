import type { TandemProvider } from '@tandem/client';
import { CollaborativeEditor, type EditorStatusState, type EditorUser } from '@tandem/editor';
import { useCallback, useState } from 'react';
import { DocumentTitle } from './document-title.js';
import { OfflineBanner } from './offline-banner.js';
import { followLink } from './router.js';

declare global {
  interface Window {
    /** For browser tests: the current document's provider. */
    __tandem?: { provider: TandemProvider };
  }
}

/** The sync endpoint on the page's own origin (the server, or vite's proxy in dev). */
export function syncUrl(loc: Pick<Location, 'protocol' | 'host'> = location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/sync`;
}

/** Props of {@link DocumentPage}. */
export interface DocumentPageProps {
  readonly id: string;
  readonly user: EditorUser;
}

/** `/d/<id>`: one document, its title and the collaborative editor. */
export function DocumentPage({ id, user }: DocumentPageProps) {
  const [status, setStatus] = useState<EditorStatusState | null>(null);
  const exposeProvider = useCallback((provider: TandemProvider | null) => {
    if (provider !== null) window.__tandem = { provider };
    else if (window.__tandem !== undefined) delete window.__tandem;
  }, []);
  const editorUser = { name: user.name.trim() === '' ? 'Anonymous' : user.name.trim(), color: user.color };
  const [historyOpen, setHistoryOpen] = useState(false);
  const closeHistory = useCallback(() => setHistoryOpen(false), []);

  return (
    <main className={historyOpen ? 'page page--document page--with-history' : 'page page--document'}>
      <nav className="breadcrumbs">
        <a href="/" onClick={followLink}>
          ← All documents
        </a>
        <button
          type="button"
          className="button button--quiet"
          data-testid="history-toggle"
          aria-expanded={historyOpen}
          onClick={() => setHistoryOpen((open) => !open)}
        >
          {historyOpen ? 'Hide history' : 'History'}
        </button>
      </nav>
      <DocumentTitle id={id} />
      <OfflineBanner state={status} />
      <CollaborativeEditor
        key={id}
        url={syncUrl()}
        room={id}
        user={editorUser}
        onStatusChange={setStatus}
        onProvider={exposeProvider}
        {...(historyOpen ? { history: { onClose: closeHistory } } : {})}
      />
    </main>
  );
}
