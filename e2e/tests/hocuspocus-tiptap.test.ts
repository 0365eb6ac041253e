import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../src/browser.js';
import { type AppServer, startAppServer } from '../src/server.js';

const PAGE_DIR = fileURLToPath(new URL('../src/hocuspocus-page/', import.meta.url));

/** The editor's text, paragraphs joined by newlines. */
const textOf = (page: Page) => page.evaluate(() => window.collab.editor.getText({ blockSeparator: '\n' }));

/** Waits until the editor's text contains every one of `parts` (and equals `exactly`, when given). */
async function waitForText(page: Page, parts: readonly string[], exactly?: string): Promise<string> {
  try {
    await page.waitForFunction(
      ([wanted, exact]) => {
        const text = window.collab.editor.getText({ blockSeparator: '\n' });
        return wanted.every((p) => text.includes(p)) && (exact === null || text === exact);
      },
      [parts, exactly ?? null] as const,
      { timeout: 20_000 },
    );
  } catch (err) {
    throw new Error(
      `waiting for ${JSON.stringify(exactly ?? parts)}; the editor shows ${JSON.stringify(await textOf(page))}`,
      {
        cause: err,
      },
    );
  }
  return textOf(page);
}

/**
 * Waits until the editor's own selection is a caret at the start or the end of the document.
 * Chromium moves the DOM caret for End and Home at once, and ProseMirror reads it back on a later
 * selectionchange task; a key pressed before that (Enter) acts at the old selection. Under load
 * that race put Ben's line before Ann's text.
 */
async function waitForCaret(page: Page, where: 'start' | 'end'): Promise<void> {
  await page.waitForFunction(
    (at) => {
      const { selection, doc } = window.collab.editor.state;
      // Inside the first or the last paragraph: 1 is the start, content.size - 1 the end.
      return selection.empty && selection.head === (at === 'start' ? 1 : doc.content.size - 1);
    },
    where,
    { timeout: 20_000 },
  );
}

describe('Tiptap with HocuspocusProvider against Tandem (E2E)', () => {
  let outDir = '';
  let server: AppServer;
  let browser: TestBrowser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'tandem-hp-page-'));
    // The page is Tiptap's documented setup, bundled like any app; the server serves it (WEB_DIR), so it is same-origin.
    await build({
      root: PAGE_DIR,
      configFile: false,
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    });
    server = await startAppServer({ WEB_DIR: outDir });
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await server?.dispose();
    if (outDir !== '') rmSync(outDir, { recursive: true, force: true });
  });

  const openAs = async (name: string, color: string): Promise<Page> => {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(
      `${server.httpUrl}/?doc=tiptap-hp&name=${encodeURIComponent(name)}&color=${encodeURIComponent(color)}`,
    );
    await page.waitForFunction(() => window.collab?.provider.isSynced === true, undefined, { timeout: 20_000 });
    return page;
  };

  it('HP-1/HP-3: two users type, see each other’s text and named carets; one goes offline and both converge', async () => {
    const ann = await openAs('Ann', '#ff0000');
    const ben = await openAs('Ben', '#0000ff');

    await ann.locator('.ProseMirror').click();
    await ann.keyboard.type('Hello from Ann.');
    await waitForText(ben, ['Hello from Ann.']);
    await ben.locator('.ProseMirror').click();
    await ben.keyboard.press('End');
    await waitForCaret(ben, 'end');
    await ben.keyboard.press('Enter');
    await ben.keyboard.type('Ben here.');
    await waitForText(ann, [], 'Hello from Ann.\nBen here.');

    // Each sees the other's caret, labelled with the other's name.
    await ann.locator('.collaboration-carets__label', { hasText: 'Ben' }).waitFor({ timeout: 15_000 });
    await ben.locator('.collaboration-carets__label', { hasText: 'Ann' }).waitFor({ timeout: 15_000 });

    // Ben goes offline (the provider's own disconnect: Chromium's offline mode keeps an open socket).
    await ben.evaluate(() => window.collab.provider.disconnect());
    await ben.waitForFunction(() => window.collab.provider.isSynced === false);
    await ben.keyboard.press('End');
    await waitForCaret(ben, 'end');
    await ben.keyboard.type(' Ben offline.');
    await ann.keyboard.press('Control+Home');
    await waitForCaret(ann, 'start');
    await ann.keyboard.type('Ann online. ');
    await waitForText(ben, ['Ben offline.']);
    expect(await ben.evaluate(() => window.collab.provider.configuration.websocketProvider.status)).toBe(
      'disconnected',
    );
    await waitForText(ann, ['Ann online.']);
    expect(await textOf(ann)).not.toContain('Ben offline.');
    expect(await textOf(ben)).not.toContain('Ann online.');

    await ben.evaluate(() => window.collab.provider.connect());
    const converged = await waitForText(ann, ['Ben offline.', 'Ann online.']);
    await waitForText(ben, [], converged);
    expect(converged).toBe('Ann online. Hello from Ann.\nBen here. Ben offline.');
    // Both providers' changes are stored (the sync status comes after the commit, HP-4).
    for (const page of [ann, ben]) {
      await page.waitForFunction(() => window.collab.provider.unsyncedChanges === 0, undefined, { timeout: 20_000 });
    }
  });
});
