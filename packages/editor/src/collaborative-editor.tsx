import type { TandemConnection, TandemProvider, TokenSource } from '@tandem/client';
import { useEffect, useMemo, useRef } from 'react';
import { EditorFrame, ProviderEditor } from './editor-surface.js';
import { createHistoryApi } from './history-api.js';
import { HistoryPanel } from './history-panel.js';
import { PresenceBar } from './presence-bar.js';
import { StatusIndicator } from './status-indicator.js';
import { injectEditorStyles } from './styles.js';
import type { EditorStatusState, EditorUser } from './types.js';
import { useEditorStatus } from './use-editor-status.js';
import { useLocalUser, usePresence } from './use-presence.js';
import { useStableToken } from './use-stable-token.js';
import { useTandemProvider } from './use-tandem-provider.js';
import { useWriteAccess } from './use-write-access.js';

/** The history panel's settings (the `history` prop of {@link CollaborativeEditor}). */
export interface HistoryOptions {
  /** The server's HTTP origin, e.g. `https://tandem.example.com` (default `''`: the page's own). */
  readonly baseUrl?: string;
  /** Token for the versions API (default: the editor's `token`). */
  readonly token?: TokenSource;
  /**
   * Whether this user may name and restore versions, when the app knows (e.g. from the token it
   * issued). Unset: yes, until the server says otherwise (a read-only notice or a 403).
   */
  readonly canWrite?: boolean;
  /** Shows a close button in the panel that calls this. */
  readonly onClose?: () => void;
  /** Versions per page (default 30). */
  readonly pageSize?: number;
  /** Quiet time after an edit before the list is fetched again (default 4000 ms). */
  readonly refreshDelayMs?: number;
  /** The server's `VERSION_IDLE_MS` (default 60000): the list is fetched again once it has passed after an edit. */
  readonly versionIdleMs?: number;
}

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
  /** Shows the version history panel beside the editor (list, preview, compare, restore, name). */
  readonly history?: HistoryOptions;
}

/** A collaborative rich-text editor for one Tandem document, with carets, presence and save status. */
export function CollaborativeEditor(props: CollaborativeEditorProps) {
  const { room, url, token, connection, offline, user, onStatusChange, onProvider, injectStyles, history } = props;
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
  const access = useWriteAccess(provider, history?.canWrite);
  const historyToken = useStableToken(history?.token ?? token);
  const enabled = history !== undefined;
  const baseUrl = history?.baseUrl ?? '';
  const historyApi = useMemo(
    () =>
      enabled
        ? createHistoryApi({ baseUrl, room, ...(historyToken === undefined ? {} : { token: historyToken }) })
        : null,
    [enabled, baseUrl, room, historyToken],
  );

  const side = (
    <>
      <PresenceBar users={users} />
      <StatusIndicator state={status} />
    </>
  );
  const classes = ['tandem-editor', historyApi === null ? null : 'tandem-editor--with-history', props.className];
  return (
    <div className={classes.filter((c) => c != null).join(' ')}>
      <div className="tandem-editor__main">
        {provider === null ? (
          <EditorFrame editor={null} side={side} />
        ) : (
          <ProviderEditor key={provider.doc.guid} provider={provider} user={user} side={side} />
        )}
      </div>
      {historyApi === null ? null : (
        <HistoryPanel
          api={historyApi}
          doc={provider?.doc ?? null}
          canWrite={access.canWrite}
          onForbidden={access.markReadOnly}
          {...(history?.onClose === undefined ? {} : { onClose: history.onClose })}
          {...(history?.pageSize === undefined ? {} : { pageSize: history.pageSize })}
          {...(history?.refreshDelayMs === undefined ? {} : { refreshDelayMs: history.refreshDelayMs })}
          {...(history?.versionIdleMs === undefined ? {} : { versionIdleMs: history.versionIdleMs })}
        />
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
