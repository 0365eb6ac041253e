import type { TandemConnection, TandemProvider, TokenSource } from '@tandem/client';
import { useEffect, useRef } from 'react';
import { EditorFrame, ProviderEditor } from './editor-surface.js';
import { PresenceBar } from './presence-bar.js';
import { StatusIndicator } from './status-indicator.js';
import { injectEditorStyles } from './styles.js';
import type { EditorStatusState, EditorUser } from './types.js';
import { useEditorStatus } from './use-editor-status.js';
import { useLocalUser, usePresence } from './use-presence.js';
import { useTandemProvider } from './use-tandem-provider.js';

/** Props of {@link CollaborativeEditor}. */
export interface CollaborativeEditorProps {
  /** Tandem sync URL, e.g. `wss://example.com/sync` (the room is appended). Not needed with `connection`. */
  readonly url?: string;
  /** The document's id on the server. */
  readonly room: string;
  /** Who you are to the others: caret label, selection color, presence avatar. */
  readonly user: EditorUser;
  /** Access token, or a function called on every (re)connect that returns one. */
  readonly token?: TokenSource;
  /** A shared multiplexed connection (`createMultiplexedConnection`) instead of a socket per editor. */
  readonly connection?: TandemConnection;
  /** Keep the document in IndexedDB for offline edits and reloads (default true). */
  readonly offline?: boolean;
  /** Called when the status shown changes (connecting, online, offline, saving, saved, error). */
  readonly onStatusChange?: (state: EditorStatusState) => void;
  /** Called with the provider once it exists, and with null when it is destroyed. */
  readonly onProvider?: (provider: TandemProvider | null) => void;
  /** Add the built-in stylesheet to the page (default true); see `editorStyles`. */
  readonly injectStyles?: boolean;
  readonly className?: string;
}

/** A collaborative rich-text editor for one Tandem document, with carets, presence and save status. */
export function CollaborativeEditor(props: CollaborativeEditorProps) {
  const { room, url, token, connection, offline, user, onStatusChange, onProvider, injectStyles } = props;
  if (injectStyles !== false) injectEditorStyles();
  const provider = useTandemProvider({
    room,
    ...(url === undefined ? {} : { url }),
    ...(token === undefined ? {} : { token }),
    ...(connection === undefined ? {} : { connection }),
    ...(offline === undefined ? {} : { offline }),
  });
  const status = useEditorStatus(provider);
  const users = usePresence(provider);
  useLocalUser(provider, user);
  useLatestCallback(onStatusChange, status);
  useProviderCallback(onProvider, provider);

  const side = (
    <>
      <PresenceBar users={users} />
      <StatusIndicator state={status} />
    </>
  );
  return (
    <div className={props.className === undefined ? 'tandem-editor' : `tandem-editor ${props.className}`}>
      {provider === null ? (
        <EditorFrame editor={null} side={side} />
      ) : (
        <ProviderEditor key={provider.doc.guid} provider={provider} user={user} side={side} />
      )}
    </div>
  );
}

/** Calls `callback(value)` whenever `value` changes, with the newest callback (no re-subscription). */
function useLatestCallback<T>(callback: ((value: T) => void) | undefined, value: T): void {
  const ref = useRef(callback);
  ref.current = callback;
  useEffect(() => {
    ref.current?.(value);
  }, [value]);
}

/** Calls `callback(provider)` once it exists and `callback(null)` when it goes (also on unmount). */
function useProviderCallback(
  callback: ((provider: TandemProvider | null) => void) | undefined,
  provider: TandemProvider | null,
): void {
  const ref = useRef(callback);
  ref.current = callback;
  useEffect(() => {
    if (provider === null) return;
    ref.current?.(provider);
    return () => ref.current?.(null);
  }, [provider]);
}
