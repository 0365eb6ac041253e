import { useCallback, useEffect, useRef, useState } from 'react';
import type * as Y from 'yjs';
import type { HistoryApi, VersionComparison } from './history-api.js';
import { useDocumentChanges } from './use-document-changes.js';
import { errorMessage } from './use-version-history.js';

/** A chosen version's content and its changes up to the current document. */
export type VersionPreviewState =
  | { readonly phase: 'none' }
  | { readonly phase: 'loading'; readonly versionId: string }
  | { readonly phase: 'failed'; readonly versionId: string; readonly message: string }
  | {
      readonly phase: 'ready';
      readonly versionId: string;
      /** The version's state as one Yjs update. */
      readonly state: Uint8Array;
      readonly comparison: VersionComparison;
    };

/**
 * Fetches the content of `versionId` and its comparison with the current document; the
 * comparison is fetched again when `doc` changes (debounced by `quietMs`), as "since" moves on.
 */
export function useVersionPreview(
  api: HistoryApi,
  versionId: string | null,
  doc: Y.Doc | null | undefined,
  quietMs: number,
): VersionPreviewState {
  const [state, setState] = useState<VersionPreviewState>({ phase: 'none' });
  const generation = useRef(0);

  const load = useCallback(
    (keepShown: boolean) => {
      const ticket = ++generation.current;
      if (versionId === null) {
        setState({ phase: 'none' });
        return;
      }
      if (!keepShown) setState({ phase: 'loading', versionId });
      Promise.all([api.state(versionId), api.compare(versionId, 'current')]).then(
        ([versionState, comparison]) => {
          if (ticket === generation.current) {
            setState({ phase: 'ready', versionId, state: versionState, comparison });
          }
        },
        (err: unknown) => {
          if (ticket === generation.current) setState({ phase: 'failed', versionId, message: errorMessage(err) });
        },
      );
    },
    [api, versionId],
  );

  useEffect(() => {
    load(false);
    return () => {
      generation.current++;
    };
  }, [load]);
  useDocumentChanges(versionId === null ? null : doc, [quietMs], () => load(true));

  return state;
}
