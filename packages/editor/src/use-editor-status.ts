import type { StatusEvent, TandemProvider } from '@tandem/client';
import { useEffect, useState } from 'react';
import { deriveStatus } from './status.js';
import type { EditorError, EditorStatusState } from './types.js';

const INITIAL: EditorStatusState = deriveStatus({
  connection: 'connecting',
  synced: false,
  unsyncedChanges: 0,
  error: null,
  wasDown: false,
});

/** The provider's connection and durable-save state, kept current from its events. */
export function useEditorStatus(provider: TandemProvider | null): EditorStatusState {
  const [state, setState] = useState<EditorStatusState>(INITIAL);

  useEffect(() => {
    if (provider === null) {
      setState(INITIAL);
      return;
    }
    let error: EditorError | null = provider.lastError;
    let wasDown = provider.status === 'disconnected' || provider.status === 'failed';
    const update = () =>
      setState((prev) => {
        const next = deriveStatus({
          connection: provider.status,
          synced: provider.synced,
          unsyncedChanges: provider.unsyncedChanges,
          error,
          wasDown,
        });
        return sameStatus(prev, next) ? prev : next;
      });
    const onStatus = (event: StatusEvent) => {
      if (event.status === 'connected') error = null;
      if (event.status === 'disconnected' || event.status === 'failed') wasDown = true;
      update();
    };
    const onError = (event: EditorError) => {
      error = event;
      update();
    };
    provider.on('status', onStatus);
    provider.on('sync', update);
    provider.on('unsynced-changes', update);
    provider.on('error', onError);
    update();
    return () => {
      provider.off('status', onStatus);
      provider.off('sync', update);
      provider.off('unsynced-changes', update);
      provider.off('error', onError);
    };
  }, [provider]);

  return state;
}

function sameStatus(a: EditorStatusState, b: EditorStatusState): boolean {
  return a.status === b.status && a.label === b.label && a.unsyncedChanges === b.unsyncedChanges;
}
