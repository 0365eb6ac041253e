import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { CollaborativeEditor, type HistoryOptions } from './collaborative-editor.js';

const render = (history?: HistoryOptions) =>
  renderToStaticMarkup(
    createElement(CollaborativeEditor, {
      url: 'ws://127.0.0.1:1/sync',
      room: 'notes',
      user: { name: 'Ann', color: '#3b82f6' },
      ...(history === undefined ? {} : { history }),
    }),
  );

describe('CollaborativeEditor history prop (VER-16, VER-18)', () => {
  it('shows no panel without the prop, and the panel beside the editor with it', () => {
    expect(render()).not.toContain('data-testid="history-panel"');
    const html = render({});
    expect(html).toContain('tandem-editor--with-history');
    expect(html).toContain('data-testid="history-panel"');
    expect(html).toContain('data-testid="history-loading"');
  });

  it('offers "Name current version" unless the app declares read access', () => {
    expect(render({})).toContain('data-testid="name-version-form"');
    expect(render({ canWrite: true })).toContain('data-testid="name-version-form"');
    const reader = render({ canWrite: false });
    expect(reader).toContain('data-testid="history-panel"');
    expect(reader).not.toContain('name-version-form');
  });

  it('shows a close button only when given onClose', () => {
    expect(render({})).not.toContain('history-close');
    expect(render({ onClose: () => {} })).toContain('data-testid="history-close"');
  });
});
