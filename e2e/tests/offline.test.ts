import { waitFor } from '@tandem/test-utils';
import type { BrowserContext } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  createDocument,
  editor,
  editorText,
  openDocument,
  storedUpdateCount,
  typeAtEndOfParagraph,
  waitForStatus,
  waitForText,
} from '../src/pages.js';
import { browserSuite } from '../src/suite.js';

/** Fast reconnects for tests: the server comes back within a second or two. */
describe('offline editing in the browser', () => {
  const suite = browserSuite();
  const context = suite.context;

  const goOffline = async (...offline: BrowserContext[]) => {
    // setOffline alone does not close an open WebSocket in this Chromium: stop the server too.
    await suite.server.stop();
    for (const c of offline) await c.setOffline(true);
  };
  const comeBack = async (...offline: BrowserContext[]) => {
    await suite.server.start();
    for (const c of offline) await c.setOffline(false);
  };

  it('E2E-4: two people edit different paragraphs offline, come back, and converge with nothing lost or doubled', async () => {
    const id = await createDocument(suite.server.httpUrl, 'Offline pair');
    const ctxA = await context();
    const ctxB = await context();
    const a = await openDocument(ctxA, `${suite.server.httpUrl}/d/${id}`, 'Ann');
    const b = await openDocument(ctxB, `${suite.server.httpUrl}/d/${id}`, 'Ben');
    await editor(a).click();
    await a.keyboard.type('First paragraph.');
    await a.keyboard.press('Enter');
    await a.keyboard.type('Second paragraph.');
    await waitForText(b, (t) => t === 'First paragraph.\nSecond paragraph.');
    await waitForStatus(a, 'saved');

    await goOffline(ctxA, ctxB);
    await waitForStatus(a, 'offline');
    await waitForStatus(b, 'offline');
    await a.getByTestId('offline-banner').waitFor();
    await typeAtEndOfParagraph(a, 0, ' Ann was offline.');
    await typeAtEndOfParagraph(b, 1, ' Ben was offline.');
    expect(await editorText(a)).not.toContain('Ben was offline.');

    await comeBack(ctxA, ctxB);
    await waitForStatus(a, 'saved', 30_000);
    await waitForStatus(b, 'saved', 30_000);
    await waitForText(a, (t) => t.includes('Ben was offline.'));
    await waitForText(b, (t) => t.includes('Ann was offline.'));
    const text = await editorText(a);
    expect(await editorText(b)).toBe(text);
    for (const part of ['First paragraph. Ann was offline.', 'Second paragraph. Ben was offline.']) {
      expect(text.split(part)).toHaveLength(2);
    }
  });

  it('E2E-5: a reload while offline keeps the offline edits, and they reach the server afterwards', async () => {
    const id = await createDocument(suite.server.httpUrl, 'Reload offline');
    const ctx = await context();
    const page = await openDocument(ctx, `${suite.server.httpUrl}/d/${id}`, 'Dora');
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await editor(page).click();
    await page.keyboard.type('Online words.');
    await waitForStatus(page, 'saved');

    await goOffline(ctx);
    await waitForStatus(page, 'offline');
    const before = await storedUpdateCount(page, id);
    await typeAtEndOfParagraph(page, 0, ' Offline words.');
    await waitFor(async () => (await storedUpdateCount(page, id)) > before, { what: 'offline edit in IndexedDB' });
    await page.reload();
    await waitForText(page, (t) => t.includes('Offline words.'));
    await waitForStatus(page, 'offline');

    await comeBack(ctx);
    await waitForStatus(page, 'saved', 30_000);
    const reader = await (await context()).newPage();
    await reader.goto(`${suite.server.httpUrl}/d/${id}`);
    await waitForText(reader, (t) => t === 'Online words. Offline words.');
  });
});
