import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createDocument,
  editor,
  editorText,
  openDocument,
  typeAtEndOfParagraph,
  waitForStatus,
  waitForText,
} from '../src/pages.js';
import { browserSuite } from '../src/suite.js';

/** The page exposes its provider for tests (apps/web/src/document-page.tsx). */
interface TandemWindow {
  __tandem?: { provider: { unsyncedChanges: number } };
}

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

describe('editing together in the browser', () => {
  const suite = browserSuite();
  const context = suite.context;
  beforeAll(() => mkdirSync(ARTIFACTS, { recursive: true }));

  it('E2E-1: two people type in one document and see each other’s text, cursor and name', async () => {
    const id = await createDocument(suite.server.httpUrl, 'Two people');
    const alice = await openDocument(await context(), `${suite.server.httpUrl}/d/${id}`, 'Alice');
    const bob = await openDocument(await context(), `${suite.server.httpUrl}/d/${id}`, 'Bob');
    await editor(alice).click();
    await alice.keyboard.type('Hello from Alice.');
    await waitForText(bob, (t) => t.includes('Hello from Alice.'));
    await typeAtEndOfParagraph(bob, 0, ' And Bob says hi.');
    await waitForText(alice, (t) => t.includes('Bob says hi.'));
    expect(await editorText(alice)).toBe(await editorText(bob));
    // Names in each other's presence bar, and on each other's caret.
    await alice.waitForSelector('[data-testid="presence-user"][data-name="Bob"]');
    await bob.waitForSelector('[data-testid="presence-user"][data-name="Alice"]');
    await alice.waitForSelector('.collaboration-carets__label:has-text("Bob")');
    await bob.keyboard.press('Shift+Home');
    await editor(alice).click();
    await alice.keyboard.press('End');
    await bob.waitForSelector('.collaboration-carets__label:has-text("Alice")');
    await waitForStatus(alice, 'saved');
    await alice.screenshot({ path: `${ARTIFACTS}two-users-alice.png` });
    await bob.screenshot({ path: `${ARTIFACTS}two-users-bob.png` });
  });

  it('E2E-2: a document created in the list is reachable by its URL from another browser', async () => {
    const creator = await (await context()).newPage();
    await creator.goto(`${suite.server.httpUrl}/`);
    await creator.getByTestId('new-document').click();
    await creator.waitForURL(/\/d\/[A-Za-z0-9_-]+$/);
    await waitForStatus(creator, 'saved');
    await editor(creator).click();
    await creator.keyboard.type('Shared by link.');
    await waitForStatus(creator, 'saved');
    const visitor = await (await context()).newPage();
    await visitor.goto(creator.url());
    await waitForText(visitor, (t) => t === 'Shared by link.');
    await visitor.goto(`${suite.server.httpUrl}/`);
    const id = new URL(creator.url()).pathname.split('/').pop() as string;
    await visitor.waitForSelector(`[data-testid="document-link"][href="/d/${id}"]`);
  });

  it('E2E-3: the status says "Saved" only once the server has acknowledged the edit', async () => {
    const id = await createDocument(suite.server.httpUrl, 'Saving');
    const page = await openDocument(await context(), `${suite.server.httpUrl}/d/${id}`, 'Carol');
    suite.server.process.child.kill('SIGSTOP');
    try {
      await editor(page).click();
      await page.keyboard.type('not yet durable');
      await waitForStatus(page, 'saving');
      // Let the page run its queued tasks: with the server frozen, no ack can arrive.
      await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
      expect(await page.getByTestId('status').getAttribute('data-status')).toBe('saving');
      expect(
        await page.evaluate(() => (window as unknown as TandemWindow).__tandem?.provider.unsyncedChanges),
      ).toBeGreaterThan(0);
    } finally {
      suite.server.process.child.kill('SIGCONT');
    }
    await waitForStatus(page, 'saved');
    expect(await page.evaluate(() => (window as unknown as TandemWindow).__tandem?.provider.unsyncedChanges)).toBe(0);
  });
});
