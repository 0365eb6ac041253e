import { useEffect, useRef } from 'react';
import type * as Y from 'yjs';

/**
 * Calls `callback` each time `doc` has had no update for one of `quietMs` after changing: a
 * debounce per delay (`[4000, 61000]` calls it 4 s and again 61 s after the last update).
 */
export function useDocumentChanges(
  doc: Y.Doc | null | undefined,
  quietMs: readonly number[],
  callback: () => void,
): void {
  const latest = useRef(callback);
  latest.current = callback;
  const delays = quietMs.join(',');
  useEffect(() => {
    if (doc === undefined || doc === null || delays === '') return;
    const timers = new Map<number, ReturnType<typeof setTimeout>>();
    const onUpdate = () => {
      for (const ms of delays.split(',').map(Number)) {
        clearTimeout(timers.get(ms));
        timers.set(
          ms,
          setTimeout(() => latest.current(), ms),
        );
      }
    };
    doc.on('update', onUpdate);
    return () => {
      for (const timer of timers.values()) clearTimeout(timer);
      doc.off('update', onUpdate);
    };
  }, [doc, delays]);
}
