import type { TextChange, VersionInfo, VersionKind } from './history-api.js';

/** A run of a comparison, with its offset in the comparison's text (its identity when rendered). */
export interface ChangeRun extends TextChange {
  readonly at: number;
}

/** One block (paragraph) of a comparison: its runs of equal, inserted and deleted text. */
export interface ChangeBlock {
  /** Offset of the block's start in the comparison's text. */
  readonly at: number;
  readonly runs: readonly ChangeRun[];
}

/**
 * Splits the compare route's changes into blocks at each '\n' (the route separates blocks so),
 * keeping every run's type: a block break that was inserted or deleted still starts a new
 * block, and empty runs are dropped. Adjacent runs of one type are merged.
 */
export function changeBlocks(changes: readonly TextChange[]): ChangeBlock[] {
  const blocks: { at: number; runs: ChangeRun[] }[] = [{ at: 0, runs: [] }];
  let at = 0;
  for (const change of changes) {
    change.text.split('\n').forEach((line, index) => {
      if (index > 0) {
        at += 1;
        blocks.push({ at, runs: [] });
      }
      if (line !== '') {
        const runs = (blocks[blocks.length - 1] as { runs: ChangeRun[] }).runs;
        const last = runs[runs.length - 1];
        if (last !== undefined && last.type === change.type)
          runs[runs.length - 1] = { ...last, text: last.text + line };
        else runs.push({ type: change.type, text: line, at });
      }
      at += line.length;
    });
  }
  return blocks;
}

/** Characters inserted and deleted by a comparison (block breaks not counted). */
export function changeTotals(changes: readonly TextChange[]): { readonly inserted: number; readonly deleted: number } {
  let inserted = 0;
  let deleted = 0;
  for (const change of changes) {
    const length = change.text.replaceAll('\n', '').length;
    if (change.type === 'insert') inserted += length;
    else if (change.type === 'delete') deleted += length;
  }
  return { inserted, deleted };
}

const KIND_NAMES: Record<VersionKind, string> = {
  auto: 'Automatic',
  named: 'Named',
  implicit: 'Before restore',
};

/** The kind as the list shows it; an implicit version says what it was taken before. */
export function kindName(version: Pick<VersionInfo, 'kind' | 'reason'>): string {
  if (version.kind === 'implicit' && version.reason === 'import') return 'Before import';
  return KIND_NAMES[version.kind];
}

/** The version's title: its label, else its kind. */
export function versionTitle(version: Pick<VersionInfo, 'kind' | 'reason' | 'label'>): string {
  const label = version.label?.trim();
  return label === undefined || label === '' ? `${kindName(version)} version` : label;
}

/** Who wrote since the previous version, e.g. "Alice, Bob"; "nobody" for none. */
export function authorNames(version: Pick<VersionInfo, 'authors'>): string {
  const names = [...new Set(version.authors.map((a) => a.name.trim() || 'anonymous'))];
  return names.length === 0 ? 'nobody' : names.join(', ');
}

/** `createdAt` in the reader's locale: the time today, else the date and time. */
export function versionTime(createdAt: string, now: Date = new Date(), locale?: string): string {
  const at = new Date(createdAt);
  if (Number.isNaN(at.getTime())) return createdAt;
  const sameDay = at.toDateString() === now.toDateString();
  const format: Intl.DateTimeFormatOptions = sameDay
    ? { hour: '2-digit', minute: '2-digit', second: '2-digit' }
    : { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' };
  return new Intl.DateTimeFormat(locale, format).format(at);
}

/** A stored size, e.g. "812 B", "14.2 kB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}
