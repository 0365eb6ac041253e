import { type FormEvent, type KeyboardEvent, useId, useState } from 'react';
import type * as Y from 'yjs';
import type { HistoryApi, VersionInfo } from './history-api.js';
import { authorNames, formatBytes, kindName, versionTime, versionTitle } from './history-format.js';
import { errorMessage, type HistoryListState, useVersionHistory } from './use-version-history.js';
import { useVersionPreview } from './use-version-preview.js';
import { CloseButton, VersionPreview } from './version-preview.js';

/** Props of {@link HistoryPanel}. */
export interface HistoryPanelProps {
  /** The document's versions routes (`createHistoryApi`); keep it stable (memoize it). */
  readonly api: HistoryApi;
  /** The live document: its changes refresh the list and the open comparison. */
  readonly doc?: Y.Doc | null;
  /** Offer "Name current version" and "Restore this version" (only with write access). */
  readonly canWrite: boolean;
  /** Called when the server refuses a write with 403. */
  readonly onForbidden?: () => void;
  /** Shows a close button that calls this. */
  readonly onClose?: () => void;
  /** Versions per page (default 30). */
  readonly pageSize?: number;
  /** Quiet time after an edit before the list and comparison are fetched again (default 4000 ms). */
  readonly refreshDelayMs?: number;
  /** The server's `VERSION_IDLE_MS` (default 60000): the list is fetched again once it has passed after an edit. */
  readonly versionIdleMs?: number;
}

/** Outcome of the last name or restore, shown under the form. */
type Notice = { readonly kind: 'ok' | 'error'; readonly text: string } | null;

/**
 * The document's version history: newest first with kind, label, time and authors, "Load older",
 * a read-only preview of the chosen version with the changes since, "Restore this version" and
 * "Name current version".
 */
export function HistoryPanel(props: HistoryPanelProps) {
  const { api, doc, canWrite, onClose, refreshDelayMs = 4000 } = props;
  const history = useVersionHistory({
    api,
    doc: doc ?? null,
    refreshDelayMs,
    ...(props.pageSize === undefined ? {} : { pageSize: props.pageSize }),
    ...(props.versionIdleMs === undefined ? {} : { versionIdleMs: props.versionIdleMs }),
    ...(props.onForbidden === undefined ? {} : { onForbidden: props.onForbidden }),
  });
  const [selected, setSelected] = useState<string | null>(null);
  const preview = useVersionPreview(api, selected, doc, refreshDelayMs);
  const [label, setLabel] = useState('');
  const labelId = useId();
  const [pending, setPending] = useState<'name' | 'restore' | null>(null);
  const [notice, setNotice] = useState<Notice>(null);

  const nameVersion = async (event: FormEvent) => {
    event.preventDefault();
    const text = label.trim();
    if (text === '' || pending !== null) return;
    setPending('name');
    setNotice(null);
    try {
      const version = await history.name(text);
      setLabel('');
      setNotice({ kind: 'ok', text: `Saved “${versionTitle(version)}”.` });
    } catch (err) {
      setNotice({ kind: 'error', text: errorMessage(err) });
    } finally {
      setPending(null);
    }
  };

  const restore = async (versionId: string) => {
    if (pending !== null) return;
    setPending('restore');
    setNotice(null);
    try {
      const { restored, backup } = await history.restore(versionId);
      setNotice({
        kind: 'ok',
        text: `Restored “${versionTitle(restored)}”; the content before is kept as “${versionTitle(backup)}”.`,
      });
    } catch (err) {
      setNotice({ kind: 'error', text: errorMessage(err) });
    } finally {
      setPending(null);
    }
  };

  const { list } = history;
  return (
    <aside className="tandem-history" data-testid="history-panel" aria-label="Version history">
      <div className="tandem-history__head">
        <h2 className="tandem-history__heading">History</h2>
        {onClose === undefined ? null : <CloseButton testId="history-close" label="Close history" onClick={onClose} />}
      </div>
      {canWrite ? (
        <form className="tandem-history__name" data-testid="name-version-form" onSubmit={nameVersion}>
          <label className="tandem-history__label" htmlFor={labelId}>
            Name current version
          </label>
          <div className="tandem-history__row">
            <input
              id={labelId}
              className="tandem-history__input"
              data-testid="version-label"
              value={label}
              maxLength={200}
              placeholder="e.g. Sent to legal"
              onChange={(event) => setLabel(event.target.value)}
            />
            <button
              type="submit"
              className="tandem-history__button"
              data-testid="name-version"
              disabled={pending !== null || label.trim() === ''}
            >
              {pending === 'name' ? 'Saving…' : 'Save'}
            </button>
          </div>
        </form>
      ) : null}
      {notice === null ? null : (
        <p
          className={notice.kind === 'ok' ? 'tandem-history__note' : 'tandem-history__error'}
          data-testid={notice.kind === 'ok' ? 'history-notice' : 'history-error'}
          role={notice.kind === 'ok' ? 'status' : 'alert'}
        >
          {notice.text}
        </p>
      )}
      <VersionList
        list={list}
        selected={selected}
        onSelect={(id) => setSelected((current) => (current === id ? null : id))}
        onRetry={history.refresh}
        onLoadOlder={history.loadOlder}
      />
      <VersionPreview
        state={preview}
        canWrite={canWrite}
        restoring={pending === 'restore'}
        onRestore={(id) => void restore(id)}
        onClose={() => setSelected(null)}
      />
    </aside>
  );
}

interface VersionListProps {
  readonly list: HistoryListState;
  readonly selected: string | null;
  readonly onSelect: (versionId: string) => void;
  readonly onRetry: () => void;
  readonly onLoadOlder: () => void;
}

function VersionList({ list, selected, onSelect, onRetry, onLoadOlder }: VersionListProps) {
  if (list.phase === 'loading') {
    return (
      <p className="tandem-history__note" data-testid="history-loading" role="status">
        Loading versions…
      </p>
    );
  }
  if (list.phase === 'failed') {
    return (
      <div className="tandem-history__error" data-testid="history-error" role="alert">
        {list.message}{' '}
        <button type="button" className="tandem-history__button" onClick={onRetry}>
          Retry
        </button>
      </div>
    );
  }
  return (
    <>
      {list.versions.length === 0 ? (
        <p className="tandem-history__note" data-testid="history-empty">
          No versions yet. They are taken automatically while you edit, or name one above.
        </p>
      ) : (
        // Arrow keys move between versions; Tab leaves the list.
        <ol className="tandem-history__list" data-testid="version-list" aria-label="Versions, newest first">
          {list.versions.map((version) => (
            <li key={version.id}>
              <VersionItem version={version} selected={version.id === selected} onSelect={onSelect} />
            </li>
          ))}
        </ol>
      )}
      {list.message === null ? null : (
        <p className="tandem-history__error" data-testid="history-error" role="alert">
          {list.message}
        </p>
      )}
      {list.next === null ? null : (
        <button
          type="button"
          className="tandem-history__button"
          data-testid="load-older"
          disabled={list.busy !== null}
          onClick={onLoadOlder}
        >
          {list.busy === 'older' ? 'Loading…' : 'Load older'}
        </button>
      )}
    </>
  );
}

interface VersionItemProps {
  readonly version: VersionInfo;
  readonly selected: boolean;
  readonly onSelect: (versionId: string) => void;
}

function VersionItem({ version, selected, onSelect }: VersionItemProps) {
  return (
    <button
      type="button"
      className="tandem-history__item"
      data-testid="version-item"
      data-id={version.id}
      data-kind={version.kind}
      aria-pressed={selected}
      onClick={() => onSelect(version.id)}
      onKeyDown={moveFocus}
    >
      <span className="tandem-history__item-title">{versionTitle(version)}</span>
      {version.kind === 'auto' ? null : (
        <span className={`tandem-history__kind tandem-history__kind--${version.kind}`}>{kindName(version)}</span>
      )}
      <span className="tandem-history__meta">
        <time dateTime={version.createdAt}>{versionTime(version.createdAt)}</time> · {authorNames(version)} ·{' '}
        {formatBytes(version.bytes)}
      </span>
    </button>
  );
}

/** ArrowUp/ArrowDown/Home/End move focus between the list's buttons. */
function moveFocus(event: KeyboardEvent<HTMLButtonElement>): void {
  const item = event.currentTarget.closest('li');
  const list = item?.parentElement;
  if (item === null || item === undefined || list === null || list === undefined) return;
  const items = [...list.querySelectorAll<HTMLButtonElement>('.tandem-history__item')];
  const index = items.indexOf(event.currentTarget);
  const target =
    event.key === 'ArrowDown'
      ? items[index + 1]
      : event.key === 'ArrowUp'
        ? items[index - 1]
        : event.key === 'Home'
          ? items[0]
          : event.key === 'End'
            ? items[items.length - 1]
            : undefined;
  if (target === undefined) return;
  event.preventDefault();
  target.focus();
}
