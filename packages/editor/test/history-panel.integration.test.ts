import { TandemProvider } from '@tandem/client';
import { nowSeconds, type ServerProcess, signHs256Token, startServerProcess, waitFor } from '@tandem/test-utils';
import { Window } from 'happy-dom';
import { act, createElement, useState } from 'react';
import type { Root } from 'react-dom/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { FRAGMENT_FIELD } from '../src/editor-surface.js';
import { createHistoryApi, type HistoryApi } from '../src/history-api.js';
import { HistoryPanel } from '../src/history-panel.js';

const SECRET = 'tandem-editor-panel-secret-0123456789';

/**
 * A happy-dom window as the page React renders into: only the DOM globals are installed (not
 * happy-dom's URL or fetch, so Node's stay for the server process and the API client), and
 * removed again afterwards.
 */
function installDom(): () => void {
  const win = new Window({ url: 'http://127.0.0.1/' });
  const globals: Record<string, unknown> = {
    window: win,
    document: win.document,
    navigator: win.navigator,
    HTMLElement: win.HTMLElement,
    HTMLIFrameElement: win.HTMLIFrameElement,
    Node: win.Node,
    Event: win.Event,
    IS_REACT_ACT_ENVIRONMENT: true,
  };
  const previous = new Map(Object.keys(globals).map((key) => [key, Object.getOwnPropertyDescriptor(globalThis, key)]));
  for (const [key, value] of Object.entries(globals)) {
    Object.defineProperty(globalThis, key, { value, configurable: true, writable: true });
  }
  return () => {
    for (const [key, descriptor] of previous) {
      if (descriptor === undefined) delete (globalThis as Record<string, unknown>)[key];
      else Object.defineProperty(globalThis, key, descriptor);
    }
    void win.happyDOM.close();
  };
}

function token(sub: string, access: 'write' | 'read'): string {
  const iat = nowSeconds();
  return signHs256Token(SECRET, { sub, name: sub, aud: 'tandem', iat, exp: iat + 3600, docs: { '*': access } });
}

/** The panel as an app without knowledge of the user's access mounts it: write until refused. */
function AccessLearningPanel({ api }: { readonly api: HistoryApi }) {
  const [canWrite, setCanWrite] = useState(true);
  return createElement(HistoryPanel, { api, canWrite, onForbidden: () => setCanWrite(false) });
}

const query = (selector: string) => document.querySelector(selector);

describe('history panel in a DOM against a real server (VER-18)', () => {
  let server: ServerProcess;
  let provider: TandemProvider;
  let root: Root | null = null;
  let removeDom: (() => void) | null = null;
  const room = 'panel-learns-access';

  beforeAll(async () => {
    removeDom = installDom();
    server = await startServerProcess({ AUTH_SECRET: SECRET });
    provider = new TandemProvider(room, new Y.Doc(), {
      url: server.syncUrl,
      WebSocket,
      crossTab: false,
      offline: false,
      token: token('wendy', 'write'),
    });
    await provider.whenSynced();
    const paragraph = new Y.XmlElement('paragraph');
    paragraph.insert(0, [new Y.XmlText('Agreed text')]);
    provider.doc.getXmlFragment(FRAGMENT_FIELD).insert(0, [paragraph]);
    await provider.whenSynced();
    await createHistoryApi({ baseUrl: server.httpUrl, room, token: token('wendy', 'write') }).name('Agreed');
  });
  afterAll(async () => {
    // An async act drains React's scheduled work, so none runs after the DOM is gone.
    if (root !== null) await act(async () => root?.unmount());
    removeDom?.();
    provider?.destroy();
    await server?.process.stop('SIGKILL');
  });

  it('VER-18: a name refused with 403 shows the server’s message and withdraws naming and restoring', async () => {
    const reader = createHistoryApi({ baseUrl: server.httpUrl, room, token: token('rita', 'read') });
    const container = document.createElement('div');
    document.body.appendChild(container);
    // react-dom detects the DOM when it is loaded, so it is loaded after installDom().
    const { createRoot } = await import('react-dom/client');
    root = createRoot(container);
    act(() => root?.render(createElement(AccessLearningPanel, { api: reader })));
    await waitFor(() => query('[data-testid="version-item"][data-kind="named"]'), { what: 'the version list' });

    // Offered before anything was refused.
    const input = query('[data-testid="version-label"]') as HTMLInputElement;
    expect(input).not.toBeNull();
    await act(async () => {
      const setValue = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(input), 'value')?.set;
      setValue?.call(input, 'Mine');
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await act(async () => {
      (query('[data-testid="name-version"]') as HTMLButtonElement).click();
    });

    const error = await waitFor(() => query('[data-testid="history-error"]'), { what: 'the refusal' });
    expect(error.textContent).toContain('needs write access');
    await waitFor(() => query('[data-testid="name-version-form"]') === null, { what: 'the form withdrawn' });

    // Choosing a version: previewed, but no restore offered.
    await act(async () => {
      (query('[data-testid="version-item"][data-kind="named"]') as HTMLButtonElement).click();
    });
    await waitFor(() => query('[data-testid="version-preview"][data-phase="ready"]'), { what: 'the preview' });
    expect(query('[data-testid="version-changes"]')?.textContent).toContain('Agreed text');
    expect(query('[data-testid="restore-version"]')).toBeNull();
    expect(query('[data-testid="restore-unavailable"]')).not.toBeNull();
  });
});
