import { useEffect, useRef } from 'react';
import type * as Y from 'yjs';

/** Calls `callback` once `doc` has had no update for `quietMs` after changing (a debounce). */
export function useDocumentChanges(doc: Y.Doc | null | undefined, quietMs: number, callback: () => void): void {
  const latest = useRef(callback);
  latest.current = callback;
  useEffect(() => {
    if (doc === undefined || doc === null) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onUpdate = () => {
      clearTimeout(timer);
      timer = setTimeout(() => latest.current(), quietMs);
    };
    doc.on('update', onUpdate);
    return () => {
      clearTimeout(timer);
      doc.off('update', onUpdate);
    };
  }, [doc, quietMs]);
}
