import { type ProviderOptions, type TandemConnection, TandemProvider, type TokenSource } from '@tandem/client';
import { useEffect, useState } from 'react';
import * as Y from 'yjs';
import { useStableToken } from './use-stable-token.js';

/** Where and how {@link useTandemProvider} connects. */
export interface ProviderConfig {
  readonly room: string;
  readonly url?: string;
  readonly connection?: TandemConnection;
  readonly token?: TokenSource;
  readonly offline?: boolean;
}

/**
 * A Y.Doc and a TandemProvider for one room, created after mount and destroyed on unmount
 * or when the room, server or token string changes. Null until created.
 */
export function useTandemProvider(config: ProviderConfig): TandemProvider | null {
  const { room, url, connection, token, offline } = config;
  const [provider, setProvider] = useState<TandemProvider | null>(null);
  // A token function is read through a ref so a new closure each render does not reconnect.
  const tokenOption = useStableToken(token);

  useEffect(() => {
    const doc = new Y.Doc();
    const options: ProviderOptions = {
      ...(connection === undefined ? { url } : { connection }),
      ...(tokenOption === undefined ? {} : { token: tokenOption }),
      ...(offline === undefined ? {} : { offline }),
    };
    const created = new TandemProvider(room, doc, options);
    setProvider(created);
    return () => {
      setProvider((p) => (p === created ? null : p));
      created.destroy();
      doc.destroy();
    };
  }, [room, url, connection, tokenOption, offline]);

  return provider;
}
