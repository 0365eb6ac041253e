import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchBrowser, type TestBrowser } from './browser.js';
import { type AppServer, startAppServer } from './server.js';

/** What {@link useAppAndBrowser} gives a test file. */
export interface AppAndBrowser {
  /** The app server, started before the file's tests. */
  server(): AppServer;
  /** A new browser context, closed after the file's tests. */
  context(): Promise<BrowserContext>;
}

/**
 * Registers `beforeAll`/`afterAll` hooks for a test file: one app server process and one
 * Chromium, and closes every context made through `context()`, the browser and the server.
 */
export function useAppAndBrowser(env: Record<string, string> = {}): AppAndBrowser {
  let server: AppServer | undefined;
  let browser: TestBrowser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    server = await startAppServer(env);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await server?.dispose();
  });
  return {
    server() {
      if (server === undefined) throw new Error('the app server is not started (use it inside a test)');
      return server;
    },
    async context() {
      if (browser === undefined) throw new Error('the browser is not launched (use it inside a test)');
      const created = await browser.newContext();
      contexts.push(created);
      return created;
    },
  };
}
