import type { EditorStatusState } from '@tandem/editor';
import { useEffect, useState } from 'react';

/** Props of {@link OfflineBanner}. */
export interface OfflineBannerProps {
  readonly state: EditorStatusState | null;
}

/**
 * Shown while offline, and after reconnecting until the edits made offline are saved on the
 * server (the provider's durable ack), so nobody closes the tab too early.
 */
export function OfflineBanner({ state }: OfflineBannerProps) {
  const [offlineEdits, setOfflineEdits] = useState(false);
  const status = state?.status;
  const unsynced = state?.unsyncedChanges ?? 0;
  useEffect(() => {
    if (status === 'offline' && unsynced > 0) setOfflineEdits(true);
    if (status === 'saved') setOfflineEdits(false);
  }, [status, unsynced]);

  if (status !== 'offline' && !offlineEdits) return null;
  const pending = unsynced > 0 ? ` ${unsynced} change${unsynced === 1 ? '' : 's'} not yet saved on the server.` : '';
  return (
    <div className="offline-banner" data-testid="offline-banner" role="status" data-pending={unsynced}>
      {status === 'offline'
        ? `You are offline. Keep editing: changes stay on this device and sync when the connection returns.${pending}`
        : `Back online: saving the changes made offline…${pending}`}
    </div>
  );
}
