import { useCallback, useEffect, useRef, useState } from 'react';
import type * as Y from 'yjs';
import { type HistoryApi, HistoryApiError, type RestoreResult, type VersionInfo } from './history-api.js';
import { useDocumentChanges } from './use-document-changes.js';

/** The versions shown, and what is being fetched. */
export type HistoryListState =
  | { readonly phase: 'loading' }
  | { readonly phase: 'failed'; readonly message: string }
  | {
      readonly phase: 'ready';
      readonly versions: readonly VersionInfo[];
      /** Cursor of the next older page; null when all are shown. */
      readonly next: string | null;
      /** A refresh or "Load older" in flight. */
      readonly busy: 'refresh' | 'older' | null;
      /** The last refresh or "Load older" failed (the list shown is the one before). */
      readonly message: string | null;
    };

/** What {@link useVersionHistory} reads. */
export interface VersionHistoryOptions {
  readonly api: HistoryApi;
  /** Changes to this document refresh the list (debounced) so new automatic versions appear. */
  readonly doc?: Y.Doc | null;
  /** Versions per page (1–200, default 30). */
  readonly pageSize?: number;
  /** Quiet time after a document change before the list is fetched again (default 4000 ms). */
  readonly refreshDelayMs?: number;
  /**
   * The server's `VERSION_IDLE_MS` (default 60000): the list is fetched again a second after the
   * document has been quiet that long, when the server has taken its automatic version. 0: no such refresh.
   */
  readonly versionIdleMs?: number;
  /** Called when a write is refused with 403 (the caller has read access only). */
  readonly onForbidden?: () => void;
}

/** A version list with paging, and the write actions that change it. */
export interface VersionHistory {
  readonly list: HistoryListState;
  /** Fetches the newest page again (as many versions as are shown). */
  refresh(): void;
  loadOlder(): void;
  /** Names the current content; resolves the new version, or rejects with the server's message. */
  name(label: string): Promise<VersionInfo>;
  /** Restores a version; resolves the restored version and the backup taken before. */
  restore(versionId: string): Promise<RestoreResult>;
}

/** The server's message for a failed request. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The version list of `api`'s document, kept current after names, restores and edits. */
export function useVersionHistory(options: VersionHistoryOptions): VersionHistory {
  const { api, doc, pageSize = 30, refreshDelayMs = 4000, versionIdleMs = 60_000 } = options;
  const [list, setList] = useState<HistoryListState>({ phase: 'loading' });
  const listRef = useRef(list);
  listRef.current = list;
  const onForbidden = useRef(options.onForbidden);
  onForbidden.current = options.onForbidden;
  // Answers are applied only if no later request started meanwhile (no stale list wins).
  const generation = useRef(0);

  const refresh = useCallback(() => {
    const current = listRef.current;
    const shown = current.phase === 'ready' ? current.versions.length : 0;
    const limit = Math.min(200, Math.max(pageSize, shown));
    const ticket = ++generation.current;
    setList((prev) => (prev.phase === 'ready' ? { ...prev, busy: 'refresh' } : { phase: 'loading' }));
    api.list({ limit }).then(
      (page) => {
        if (ticket !== generation.current) return;
        setList({ phase: 'ready', versions: page.versions, next: page.next, busy: null, message: null });
      },
      (err: unknown) => {
        if (ticket !== generation.current) return;
        setList((prev) =>
          prev.phase === 'ready'
            ? { ...prev, busy: null, message: errorMessage(err) }
            : { phase: 'failed', message: errorMessage(err) },
        );
      },
    );
  }, [api, pageSize]);

  const loadOlder = useCallback(() => {
    const current = listRef.current;
    if (current.phase !== 'ready' || current.next === null || current.busy !== null) return;
    const ticket = ++generation.current;
    setList({ ...current, busy: 'older' });
    api.list({ limit: pageSize, before: current.next }).then(
      (page) => {
        if (ticket !== generation.current) return;
        setList((prev) => {
          const shown = prev.phase === 'ready' ? prev.versions : [];
          const seen = new Set(shown.map((v) => v.id));
          const older = page.versions.filter((v) => !seen.has(v.id));
          return { phase: 'ready', versions: [...shown, ...older], next: page.next, busy: null, message: null };
        });
      },
      (err: unknown) => {
        if (ticket !== generation.current) return;
        setList((prev) => (prev.phase === 'ready' ? { ...prev, busy: null, message: errorMessage(err) } : prev));
      },
    );
  }, [api, pageSize]);

  useEffect(() => {
    refresh();
  }, [refresh]);

  useDocumentChanges(doc, versionIdleMs > 0 ? [refreshDelayMs, versionIdleMs + 1000] : [refreshDelayMs], refresh);

  const write = useCallback(
    async <T>(action: () => Promise<T>): Promise<T> => {
      try {
        return await action();
      } catch (err) {
        if (err instanceof HistoryApiError && err.forbidden) onForbidden.current?.();
        throw err;
      } finally {
        refresh();
      }
    },
    [refresh],
  );

  return {
    list,
    refresh,
    loadOlder,
    name: useCallback((label: string) => write(() => api.name(label)), [api, write]),
    restore: useCallback((versionId: string) => write(() => api.restore(versionId)), [api, write]),
  };
}
