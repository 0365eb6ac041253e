import { useCallback, useEffect, useState } from 'react';
import { ApiError, cacheDocuments, cachedDocuments, type DocumentSummary, documentsApi } from './api.js';
import { DocumentRow } from './document-row.js';
import { documentPath, navigate } from './router.js';

/** `/`: every document on the server, with create, rename and delete. */
export function DocumentListPage() {
  const [docs, setDocs] = useState<DocumentSummary[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);

  const report = useCallback((err: unknown) => {
    setProblem(err instanceof ApiError && err.status === 0 ? 'The server is unreachable.' : String(err));
  }, []);

  const load = useCallback(async () => {
    try {
      const list = await documentsApi.list();
      setDocs(list);
      setProblem(null);
      cacheDocuments(list);
    } catch (err) {
      setDocs((current) => current ?? cachedDocuments());
      report(err);
    }
  }, [report]);

  useEffect(() => {
    void load();
  }, [load]);

  const create = async () => {
    setCreating(true);
    try {
      const doc = await documentsApi.create('Untitled');
      navigate(documentPath(doc.id));
    } catch (err) {
      report(err);
      setCreating(false);
    }
  };

  const rename = async (id: string, title: string) => {
    setDocs((list) => list?.map((d) => (d.id === id ? { ...d, title } : d)) ?? null);
    await documentsApi.rename(id, title).catch(report);
    await load();
  };

  const remove = async (id: string) => {
    setDocs((list) => list?.filter((d) => d.id !== id) ?? null);
    await documentsApi.remove(id).catch(report);
    await load();
  };

  return (
    <main className="page">
      <div className="page__heading">
        <h1>Documents</h1>
        <button type="button" className="button" data-testid="new-document" disabled={creating} onClick={create}>
          New document
        </button>
      </div>
      {problem === null ? null : (
        <p className="notice" role="alert">
          {problem}
        </p>
      )}
      {docs === null ? (
        <p className="muted">Loading…</p>
      ) : (
        <ul className="document-list" data-testid="document-list">
          {docs.length === 0 ? <li className="muted">No documents yet.</li> : null}
          {docs.map((doc) => (
            <DocumentRow
              key={doc.id}
              doc={doc}
              onRename={(title) => void rename(doc.id, title)}
              onDelete={() => void remove(doc.id)}
            />
          ))}
        </ul>
      )}
    </main>
  );
}
