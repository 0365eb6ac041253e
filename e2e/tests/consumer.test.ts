import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type RunningProcess, startProcess } from '@tandem/test-utils';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../src/browser.js';
import { type CommandResult, runToEnd, writeConsumerApp } from '../src/consumer-app.js';
import { packPublicPackages } from '../src/packs.js';
import { editorText, typeAtEndOfParagraph, waitForStatus, waitForText } from '../src/pages.js';
import { type AppServer, startAppServer } from '../src/server.js';

const NPM = 'npm';
const INSTALL_TIMEOUT_MS = 240_000;
const STEP_TIMEOUT_MS = 60_000;

/**
 * The README's "Embedding" section, done as a developer outside this repository would: the
 * packed tarballs and registry packages only, installed with plain npm into a new project in
 * the temp directory (no workspace links), a Vite + React app built from the editor README's
 * example and driven in Chromium by two users against a real server, and the client's and
 * protocol's README examples type-checked and run in Node.
 */
describe('an app outside the workspace, from the packed tarballs', () => {
  let dir: string;
  let server: AppServer;
  let preview: RunningProcess | undefined;
  let browser: TestBrowser | undefined;
  let install: CommandResult;
  let appUrl: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tandem-consumer-'));
    const packed = await packPublicPackages(join(dir, 'packs'));
    const previewPort = await freePort();
    appUrl = `http://127.0.0.1:${previewPort}`;
    // Only the app's own origin: loopback origins are then refused like any other (ORIGIN-1).
    server = await startAppServer({ ALLOWED_ORIGINS: appUrl, WEB_DIR: 'none' });
    writeConsumerApp(dir, packed, `${server.httpUrl.replace('http', 'ws')}/sync`);
    install = await runToEnd(NPM, ['install', '--no-audit', '--no-fund'], { cwd: dir, timeoutMs: INSTALL_TIMEOUT_MS });
    if (install.code !== 0) throw new Error(`npm install failed:\n${install.output}`);
  }, INSTALL_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await preview?.stop();
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const npmIn = (args: string[]) => runToEnd(NPM, args, { cwd: dir, timeoutMs: STEP_TIMEOUT_MS });
  const node = (args: string[]) => runToEnd(process.execPath, args, { cwd: dir, timeoutMs: STEP_TIMEOUT_MS });

  it('CONSUMER-1: npm installs the tarballs with no peer-dependency conflict, and `npm ls` finds nothing invalid', async () => {
    expect(install.output).not.toMatch(/ERESOLVE|peer dep|invalid|conflict/i);
    const ls = await npmIn(['ls', '--all']);
    expect(ls.code, ls.output).toBe(0);
  });

  it('CONSUMER-2: the README examples type-check (bundler and node16 resolution) and the Node programs run and exit', async () => {
    const tsc = join(dir, 'node_modules', 'typescript', 'bin', 'tsc');
    const app = await node([tsc, '-p', 'tsconfig.json']);
    expect(app.output).toBe('');
    const programs = await node([tsc, '-p', 'tsconfig.node.json']);
    expect(programs.output).toBe('');
    const protocol = await node(['out/protocol-example.js']);
    expect(protocol).toEqual({ code: 0, output: 'ping 7' });
    // It exits by itself once it has destroyed its provider (CLIENT-14), within the step's bound.
    const client = await node(['out/client-example.js']);
    expect(client).toEqual({ code: 0, output: 'hello from Node' });
  });

  it('CONSUMER-3: the Vite app renders <CollaborativeEditor> from the tarball; two users in Chromium converge', async () => {
    const vite = join(dir, 'node_modules', 'vite', 'bin', 'vite.js');
    const built = await node([vite, 'build', '--logLevel', 'warn']);
    expect(built.code, built.output).toBe(0);
    const port = new URL(appUrl).port;
    preview = startProcess(process.execPath, [vite, 'preview', '--host', '127.0.0.1', '--port', port, '--strictPort'], {
      cwd: dir,
    });
    await preview.waitForLine(new RegExp(`127\\.0\\.0\\.1:${port}`), 20_000);
    browser = await launchBrowser();
    const open = async (url: string) => {
      const context = await (browser as TestBrowser).newContext();
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(url);
      return page;
    };
    const ada = await open(`${appUrl}/?name=Ada`);
    const grace = await open(`${appUrl}/?name=Grace`);
    await Promise.all([waitForStatus(ada, 'saved'), waitForStatus(grace, 'saved')]);
    await typeAtEndOfParagraph(ada, 0, 'Ada was here.');
    await waitForText(grace, (text) => text.includes('Ada was here.'));
    await typeAtEndOfParagraph(grace, 0, ' Grace too.');
    const both = (text: string) => text.includes('Ada was here.') && text.includes('Grace too.');
    await Promise.all([waitForText(ada, both), waitForText(grace, both)]);
    expect(await editorText(ada)).toBe(await editorText(grace));
    await Promise.all([waitForStatus(ada, 'saved'), waitForStatus(grace, 'saved')]);
    for (const page of [ada, grace]) await waitForUsers(page, ['Ada', 'Grace']);
  });

  it('ORIGIN-2: the same app from a refused origin shows why in the editor, not "Offline"', async () => {
    const port = new URL(appUrl).port;
    const context = await (browser as TestBrowser).newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`http://localhost:${port}/?name=Eve`);
    await waitForStatus(page, 'error');
    expect(await page.getByTestId('status').textContent()).toContain(
      `Error: forbidden: origin http://localhost:${port} is not allowed`,
    );
  });
});

/** Waits until the presence bar names exactly `names`. */
async function waitForUsers(page: Page, names: readonly string[]): Promise<void> {
  await page.waitForFunction(
    (expected) =>
      [...document.querySelectorAll('[data-testid="presence-user"]')]
        .map((el) => el.getAttribute('data-name'))
        .sort()
        .join(',') === expected,
    [...names].sort().join(','),
    { timeout: 10_000 },
  );
}
