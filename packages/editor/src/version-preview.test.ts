import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { VersionInfo } from './history-api.js';
import type { VersionPreviewState } from './use-version-preview.js';
import { VersionChanges, VersionPreview } from './version-preview.js';

const named: VersionInfo = {
  id: 'v1',
  kind: 'named',
  label: 'Sent to legal',
  reason: null,
  createdAt: '2026-12-03T10:00:00Z',
  bytes: 120,
  authors: [{ userId: 'alice', name: 'Alice' }],
  createdBy: { userId: 'alice', name: 'Alice' },
};

const ready: VersionPreviewState = {
  phase: 'ready',
  versionId: 'v1',
  state: Y.encodeStateAsUpdate(new Y.Doc()),
  comparison: {
    from: named,
    to: 'current',
    changes: [
      { type: 'equal', text: 'Hello <b>' },
      { type: 'insert', text: ' and more' },
      { type: 'delete', text: '!' },
    ],
  },
};

const preview = (state: VersionPreviewState, canWrite: boolean) =>
  renderToStaticMarkup(
    createElement(VersionPreview, { state, canWrite, restoring: false, onRestore: () => {}, onClose: () => {} }),
  );

describe('VersionPreview (VER-18)', () => {
  it('offers "Restore this version" only with write access', () => {
    expect(preview(ready, true)).toContain('data-testid="restore-version"');
    const reader = preview(ready, false);
    expect(reader).not.toContain('restore-version"');
    expect(reader).toContain('data-testid="restore-unavailable"');
  });

  it('highlights what changed since the version: insertions in <ins>, deletions in <del>, text escaped', () => {
    const html = preview(ready, true);
    expect(html).toContain('<span>Hello &lt;b&gt;</span><ins> and more</ins><del>!</del>');
    expect(html).toContain('+9 / −1 characters');
    expect(html).toContain('Sent to legal');
  });

  it('shows the loading state and the server’s message on failure, with no restore button', () => {
    expect(preview({ phase: 'loading', versionId: 'v1' }, true)).toContain('Loading version…');
    const failed = preview({ phase: 'failed', versionId: 'v1', message: 'no version "v1"' }, true);
    expect(failed).toContain('role="alert"');
    expect(failed).toContain('no version &quot;v1&quot;');
    expect(failed).not.toContain('restore-version"');
    expect(preview({ phase: 'none' }, true)).toBe('');
  });
});

describe('VersionChanges', () => {
  it('renders one paragraph per block', () => {
    const html = renderToStaticMarkup(
      createElement(VersionChanges, {
        changes: [
          { type: 'equal', text: 'One' },
          { type: 'insert', text: '\nTwo' },
        ],
      }),
    );
    expect(html).toBe(
      '<div class="tandem-history__changes" data-testid="version-changes"><p><span>One</span></p><p><ins>Two</ins></p></div>',
    );
  });
});
