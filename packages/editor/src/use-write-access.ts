import type { TandemProvider } from '@tandem/client';
import { NoticeCode } from '@tandem/protocol';
import { useCallback, useEffect, useState } from 'react';

/** Whether this session may change the document, as far as the client has learned. */
export interface WriteAccess {
  readonly canWrite: boolean;
  /** Records that the server refused a write (a 403 from the HTTP API). */
  readonly markReadOnly: () => void;
}

/**
 * Write access to the provider's document: `declared` when the app knows it (from the token it
 * issued), else write until the server says otherwise — a read-only notice on the sync
 * connection (AUTH-4) or a 403 reported through `markReadOnly`. Open mode never says otherwise.
 */
export function useWriteAccess(provider: TandemProvider | null, declared?: boolean): WriteAccess {
  const [refused, setRefused] = useState(false);
  useEffect(() => {
    setRefused(false);
    if (provider === null) return;
    const onNotice = (notice: { code: number }) => {
      if (notice.code === NoticeCode.readOnly) setRefused(true);
    };
    provider.on('notice', onNotice);
    return () => provider.off('notice', onNotice);
  }, [provider]);
  const markReadOnly = useCallback(() => setRefused(true), []);
  return { canWrite: declared !== false && !refused, markReadOnly };
}
