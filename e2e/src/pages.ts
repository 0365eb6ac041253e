import { waitFor } from '@tandem/test-utils';
import type { BrowserContext, Page } from 'playwright-core';

/** Opens `url` in a new page of `context` as the user `name`, and waits until the document is saved. */
export async function openDocument(context: BrowserContext, url: string, name: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  await page.getByTestId('user-name').fill(name);
  await waitForStatus(page, 'saved');
  return page;
}

/** Waits until the status indicator shows `status` (connecting|online|offline|saving|saved|error). */
export async function waitForStatus(page: Page, status: string, timeout = 20_000): Promise<void> {
  await page.waitForSelector(`[data-testid="status"][data-status="${status}"]`, { timeout });
}

/** The ProseMirror element of the editor. */
export function editor(page: Page) {
  return page.locator('[data-testid="editor"] .ProseMirror');
}

/** The editor's text, paragraphs joined by newlines, without other users' caret labels. */
export async function editorText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const root = document.querySelector('[data-testid="editor"] .ProseMirror');
    if (root === null) return '';
    const copy = root.cloneNode(true) as Element;
    for (const caret of copy.querySelectorAll('.collaboration-carets__caret')) caret.remove();
    return [...copy.children].map((block) => (block.textContent ?? '').replace(/\u00a0/g, ' ')).join('\n');
  });
}

/** Waits until the editor's text satisfies `accept`; returns that text. */
export async function waitForText(page: Page, accept: (text: string) => boolean, timeoutMs = 15_000): Promise<string> {
  let last = '';
  return waitFor(
    async () => {
      last = await editorText(page);
      return accept(last) ? last : null;
    },
    { timeoutMs, what: 'editor text' },
  ).catch((err: unknown) => {
    throw new Error(`${err instanceof Error ? err.message : String(err)}; last text: ${JSON.stringify(last)}`);
  });
}

/** Places the caret at the end of paragraph `index` and types `text`. */
export async function typeAtEndOfParagraph(page: Page, index: number, text: string): Promise<void> {
  const paragraph = editor(page).locator('p').nth(index);
  await paragraph.click();
  await page.keyboard.press('End');
  await waitForCaretAtEnd(page, paragraph);
  await page.keyboard.type(text);
}

/** The part of a Tiptap editor's view this file reads (Tiptap keeps the editor on its DOM node). */
interface EditorDom extends Element {
  editor?: {
    view: {
      state: { selection: { empty: boolean; head: number } };
      posAtDOM(node: Node, offset: number): number;
    };
  };
}

/**
 * Waits until the editor's own selection is a caret at the end of `paragraph`. Chromium moves the
 * DOM caret for End at once, and ProseMirror reads it back on a later selectionchange task; a key
 * pressed before that (Enter) acts at the old selection. Under load that race once split a
 * paragraph at its start (CI: "\nBob:Alice:" where "Alice:\nBob:" was due).
 */
async function waitForCaretAtEnd(page: Page, paragraph: ReturnType<Page['locator']>): Promise<void> {
  const handle = await paragraph.elementHandle();
  try {
    await page.waitForFunction(
      (p) => {
        const view = (p.closest('.ProseMirror') as EditorDom | null)?.editor?.view;
        if (view === undefined) throw new Error('the paragraph is not in a Tiptap editor');
        const { selection } = view.state;
        return selection.empty && selection.head === view.posAtDOM(p, p.childNodes.length);
      },
      handle,
      { timeout: 15_000 },
    );
  } finally {
    await handle.dispose();
  }
}

/** Counts the updates y-indexeddb has stored for `room` in this page's origin. */
export async function storedUpdateCount(page: Page, room: string): Promise<number> {
  return page.evaluate(
    (name) =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open(name);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('updates')) {
            db.close();
            resolve(0);
            return;
          }
          const count = db.transaction('updates').objectStore('updates').count();
          count.onsuccess = () => {
            db.close();
            resolve(count.result);
          };
          count.onerror = () => reject(count.error);
        };
      }),
    `tandem:${room}`,
  );
}

/** Creates a document through the REST API and returns its id. */
export async function createDocument(httpUrl: string, title: string): Promise<string> {
  const response = await fetch(`${httpUrl}/api/documents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title }),
  });
  if (response.status !== 201) throw new Error(`creating a document failed: HTTP ${response.status}`);
  return ((await response.json()) as { id: string }).id;
}
