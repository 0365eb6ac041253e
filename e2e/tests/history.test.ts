import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nowSeconds, signHs256Token, waitFor } from '@tandem/test-utils';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDocument, editor, editorText, openDocument, waitForStatus, waitForText } from '../src/pages.js';
import { browserSuite } from '../src/suite.js';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

/** Opens the document page's history panel and waits for its list (or its "no versions yet"). */
async function openHistory(page: Page): Promise<void> {
  await page.getByTestId('history-toggle').click();
  await page.waitForSelector(
    '[data-testid="history-panel"] :is([data-testid="version-list"], [data-testid="history-empty"])',
    { timeout: 15_000 },
  );
}

/** The list's named version titled `title` (a locator; waits when used). */
function namedVersion(page: Page, title: string) {
  return page.locator('[data-testid="version-item"][data-kind="named"]', { hasText: title });
}

/** The texts of every `<ins>` / `<del>` in the open comparison, joined. */
async function highlighted(page: Page, tag: 'ins' | 'del'): Promise<string> {
  return (await page.locator(`[data-testid="version-changes"] ${tag}`).allTextContents()).join('');
}

describe('version history in the browser (VER-16…VER-19)', () => {
  // Automatic versions 1.5 s after editing stops, so the panel's debounced refresh shows them.
  const app = browserSuite({ VERSION_IDLE_MS: '1500' });
  beforeAll(() => {
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  it('VER-19: name a version, edit more, preview and compare it, restore it: both editors show it and the pre-restore version is listed', async () => {
    const server = app.server;
    const id = await createDocument(server.httpUrl, 'Supply contract');
    const alice = await openDocument(await app.context(), `${server.httpUrl}/d/${id}`, 'Alice');
    const bob = await openDocument(await app.context(), `${server.httpUrl}/d/${id}`, 'Bob');
    const original = 'The parties agree to the terms below.';

    await editor(alice).click();
    await alice.keyboard.type(original);
    await waitForText(bob, (t) => t === original);
    await waitForStatus(alice, 'saved');

    // Alice names the current content.
    await openHistory(alice);
    await alice.getByTestId('version-label').fill('Sent to legal');
    await alice.getByTestId('name-version').click();
    await alice.waitForSelector('[data-testid="history-notice"]:has-text("Sent to legal")', { timeout: 15_000 });
    await namedVersion(alice, 'Sent to legal').waitFor({ timeout: 15_000 });
    // Open mode has no identities: the authors read "anonymous" (the contract's open-mode author).
    expect(await namedVersion(alice, 'Sent to legal').textContent()).toContain('anonymous');
    const autoBefore = await alice.locator('[data-testid="version-item"][data-kind="auto"]').count();

    // Bob rewrites the end of the first paragraph and adds a second one. Alice is in the panel, so
    // her caret leaves Bob's editor; he starts once it has (a caret widget removed under his
    // keystrokes could swallow a Backspace, which once made this test fail under load), and each
    // step is checked before the next.
    await waitFor(async () => (await editor(bob).locator('.collaboration-carets__caret').count()) === 0, {
      timeoutMs: 15_000,
      what: "Alice's caret to leave Bob's editor",
    });
    await editor(bob).locator('p').first().click();
    await bob.keyboard.press('End');
    for (let i = 0; i < 'below.'.length; i++) await bob.keyboard.press('Backspace');
    await waitForText(bob, (t) => t === 'The parties agree to the terms ');
    await bob.keyboard.type('in part II.');
    await bob.keyboard.press('Enter');
    await bob.keyboard.type('Payment is due within 30 days.');
    const edited = 'The parties agree to the terms in part II.\nPayment is due within 30 days.';
    await waitForText(alice, (t) => t === edited);
    await waitForStatus(bob, 'saved');

    // VER-16: with nobody touching Alice's panel, the automatic version the server takes once
    // Bob stops appears in it (the list is fetched again after the document goes quiet).
    await waitFor(
      async () => (await alice.locator('[data-testid="version-item"][data-kind="auto"]').count()) > autoBefore,
      { timeoutMs: 20_000, what: 'an automatic version in the list' },
    );
    const kinds = await alice
      .locator('[data-testid="version-item"]')
      .evaluateAll((items) => items.map((item) => item.getAttribute('data-kind')));
    expect(kinds[0]).toBe('auto');

    // Alice picks the named version with the keyboard and sees what changed since.
    await namedVersion(alice, 'Sent to legal').focus();
    await alice.keyboard.press('Enter');
    await alice.waitForSelector('[data-testid="version-preview"][data-phase="ready"]', { timeout: 15_000 });
    const inserted = await highlighted(alice, 'ins');
    const deleted = await highlighted(alice, 'del');
    expect(inserted).toContain('Payment is due within 30 days.');
    expect(inserted).toContain('in part II');
    expect(deleted).toContain('below');
    expect(deleted).not.toContain('The parties');
    // The comparison reads as the version with the changes laid over it, in document order.
    const changesText = (await alice.getByTestId('version-changes').textContent()) ?? '';
    expect(changesText.indexOf('The parties')).toBeLessThan(changesText.indexOf('below'));
    expect(changesText.indexOf('below')).toBeLessThan(changesText.indexOf('Payment'));
    // Insertions and deletions are styled apart (green / red).
    const colors = await alice.evaluate(() => {
      const color = (selector: string) => {
        const el = document.querySelector(`[data-testid="version-changes"] ${selector}`);
        return el === null ? null : getComputedStyle(el).backgroundColor;
      };
      return { ins: color('ins'), del: color('del') };
    });
    expect(colors.ins).not.toBeNull();
    expect(colors.ins).not.toBe(colors.del);
    await alice.screenshot({ path: `${ARTIFACTS}history-panel.png` });

    // The version's own content, read-only.
    await alice.getByTestId('preview-content').click();
    const content = alice.locator('[data-testid="version-content"] .ProseMirror');
    await content.waitFor({ timeout: 15_000 });
    expect(await content.textContent()).toBe(original);
    expect(await content.getAttribute('contenteditable')).toBe('false');

    // Restore: both editors show the named version's text.
    await alice.getByTestId('restore-version').click();
    await alice.waitForSelector('[data-testid="history-notice"]:has-text("Restored")', { timeout: 15_000 });
    await waitForText(alice, (t) => t === original);
    await waitForText(bob, (t) => t === original);
    await waitForStatus(alice, 'saved');

    // The content before the restore is kept as an implicit version, listed above the named one.
    const backup = alice.locator('[data-testid="version-item"][data-kind="implicit"]');
    await backup.first().waitFor({ timeout: 15_000 });
    const order = await alice
      .locator('[data-testid="version-item"]')
      .evaluateAll((items) => items.map((item) => item.getAttribute('data-kind')));
    expect(order.indexOf('implicit')).toBeLessThan(order.indexOf('named'));
    await backup.first().click();
    await alice.waitForSelector(
      `[data-testid="version-preview"][data-version="${await backup.first().getAttribute('data-id')}"][data-phase="ready"]`,
      { timeout: 15_000 },
    );
    await alice.getByTestId('preview-content').click();
    await alice
      .locator('[data-testid="version-content"] .ProseMirror', { hasText: 'Payment is due within 30 days.' })
      .waitFor({ timeout: 15_000 });

    // Bob's panel lists both too.
    await openHistory(bob);
    await namedVersion(bob, 'Sent to legal').waitFor({ timeout: 15_000 });
    await bob.locator('[data-testid="version-item"][data-kind="implicit"]').first().waitFor({ timeout: 15_000 });
  });

  it('VER-16: the panel shows a page of versions and "Load older" adds the older ones, each once', async () => {
    const server = app.server;
    const id = await createDocument(server.httpUrl, 'Many versions');
    const page = await openDocument(await app.context(), `${server.httpUrl}/d/${id}`, 'Carol');
    await editor(page).click();
    await page.keyboard.type('Draft');
    await waitForStatus(page, 'saved');
    // One more than the panel's page (30), named through the API one after another.
    for (let n = 1; n <= 31; n++) {
      const response = await fetch(`${server.httpUrl}/api/documents/${id}/versions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ label: `Step ${n}` }),
      });
      expect(response.status).toBe(201);
    }
    await openHistory(page);
    const items = page.locator('[data-testid="version-item"]');
    const steps = async () =>
      (await page.locator('.tandem-history__item-title').allTextContents()).filter((t) => t.startsWith('Step '));
    const newestFirst = (from: number, count: number) => Array.from({ length: count }, (_, i) => `Step ${from - i}`);
    await namedVersion(page, 'Step 31').waitFor({ timeout: 15_000 });
    expect(await items.count()).toBe(30);
    const firstPage = await steps();
    expect(firstPage).toEqual(newestFirst(31, firstPage.length));
    expect(firstPage).not.toContain('Step 1');
    await page.getByTestId('load-older').click();
    await waitFor(async () => (await steps()).includes('Step 1'), { timeoutMs: 15_000, what: 'the older page' });
    expect(await steps()).toEqual(newestFirst(31, 31));
    const ids = await items.evaluateAll((all) => all.map((item) => item.getAttribute('data-id')));
    expect(new Set(ids).size).toBe(ids.length);
    // Everything is shown now: no further page to load.
    expect(await page.getByTestId('load-older').count()).toBe(0);
  });
});

describe('version history for a reader in the browser (VER-18)', () => {
  const secret = 'tandem-e2e-history-secret-0123456789';
  const app = browserSuite({ AUTH_SECRET: secret });
  const tokenFor = (sub: string, name: string, access: 'read' | 'write') => {
    const iat = nowSeconds();
    return signHs256Token(secret, { sub, name, aud: 'tandem', iat, exp: iat + 3600, docs: { '*': access } });
  };
  /** A browser context whose requests carry `token` in the `tandem_token` cookie (AUTH-1, AUTH-8). */
  const contextWith = async (token: string) => {
    const context = await app.context();
    await context.addCookies([{ name: 'tandem_token', value: token, url: app.server.httpUrl }]);
    return context;
  };

  it('VER-18: a reader lists, previews and compares versions but is offered neither naming nor restoring', async () => {
    const server = app.server;
    const id = await createDocument(server.httpUrl, 'Read only');
    const writer = await (await contextWith(tokenFor('wendy', 'Wendy', 'write'))).newPage();
    await writer.goto(`${server.httpUrl}/d/${id}`);
    await waitForStatus(writer, 'saved');
    await editor(writer).click();
    await writer.keyboard.type('Approved wording.');
    await waitForStatus(writer, 'saved');
    await openHistory(writer);
    await writer.getByTestId('version-label').fill('Approved');
    await writer.getByTestId('name-version').click();
    await namedVersion(writer, 'Approved').waitFor({ timeout: 15_000 });
    await editor(writer).click();
    await writer.keyboard.press('End');
    await writer.keyboard.type(' Later edit.');
    await waitForStatus(writer, 'saved');

    const reader = await (await contextWith(tokenFor('rita', 'Rita', 'read'))).newPage();
    await reader.goto(`${server.httpUrl}/d/${id}`);
    await waitForText(reader, (t) => t === 'Approved wording. Later edit.');
    await openHistory(reader);
    await namedVersion(reader, 'Approved').click();
    await reader.waitForSelector('[data-testid="version-preview"][data-phase="ready"]', { timeout: 15_000 });
    expect(await highlighted(reader, 'ins')).toContain('Later edit.');
    await reader.getByTestId('restore-unavailable').waitFor({ timeout: 15_000 });
    expect(await reader.getByTestId('restore-version').count()).toBe(0);
    expect(await reader.getByTestId('name-version-form').count()).toBe(0);
    expect(await editorText(writer)).toBe('Approved wording. Later edit.');
  });
});
