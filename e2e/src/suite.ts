import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchBrowser, type TestBrowser } from './browser.js';
import { type AppServer, startAppServer } from './server.js';

/** A server process serving the app and a Chromium, shared by one describe block's tests. */
export interface BrowserSuite {
  /** The app server (started before the first test). */
  readonly server: AppServer;
  /** A new browser context (a separate user: own cookies and storage), closed after the last test. */
  context(): Promise<BrowserContext>;
}

/** Registers the suite's beforeAll/afterAll: starts the server and Chromium, and closes what the tests opened. */
export function browserSuite(env: Record<string, string> = {}): BrowserSuite {
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
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not started: use it inside a test`);
    return value;
  };
  return {
    get server() {
      return started(server, 'the app server');
    },
    async context() {
      const created = await started(browser, 'the browser').newContext();
      contexts.push(created);
      return created;
    },
  };
}
