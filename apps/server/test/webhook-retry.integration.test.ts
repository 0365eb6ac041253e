import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import type { RawClient } from './helpers/raw-client.js';
import { frameOfType } from './helpers/raw-client.js';
import { connectTandemWriter } from './helpers/tandem-writer.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

describe('webhook retries past the 32-bit timer limit', () => {
  let server: TestServer | undefined;
  let hook: Server | undefined;
  const raw: RawClient[] = [];

  afterEach(async () => {
    for (const c of raw.splice(0)) c.close();
    await server?.close();
    server = undefined;
    await new Promise<void>((resolve) => (hook === undefined ? resolve() : hook.close(() => resolve())));
    hook = undefined;
  });

  it('OPS-4: a retry delay past 2^31-1 ms waits instead of retrying at once', async () => {
    // Receives every attempt; refuses the ones for "refused", takes the rest.
    const attempts: string[] = [];
    hook = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      request.on('end', () => {
        const { document } = JSON.parse(body) as { document: string };
        attempts.push(document);
        response.writeHead(document === 'refused' ? 503 : 204).end();
      });
    });
    await new Promise<void>((resolve) => hook?.listen(0, '127.0.0.1', resolve));
    const { port } = hook.address() as AddressInfo;
    // The first retry waits 3·10^9 ms: what a late attempt of WEBHOOK_RETRY_MS=600000 waits
    // (attempt 13: 600000·2^12 ms), without the test living through twelve earlier ones.
    server = await startTestServer({
      config: {
        webhook: {
          url: `http://127.0.0.1:${port}/hook`,
          secret: 'webhook-secret-0123456789',
          debounceMs: 50,
          attempts: 3,
          retryMs: 3_000_000_000,
        },
      },
    });
    const refused = connectTandemWriter(`${server.syncUrl}/refused`, 'r');
    raw.push(refused.client);
    await refused.client.waitForFrame(frameOfType('sync-step1'));
    refused.write();
    await waitFor(() => server?.logsWith('webhook refused').length === 1, { what: 'the first attempt refused' });
    // A later change elsewhere is delivered after its 50 ms debounce: a retry fired at once
    // (Node runs an overflowing delay after 1 ms) would have reached the receiver before it.
    const taken = connectTandemWriter(`${server.syncUrl}/taken`, 't');
    raw.push(taken.client);
    await taken.client.waitForFrame(frameOfType('sync-step1'));
    taken.write();
    await waitFor(() => attempts.includes('taken'), { what: 'the later webhook delivered' });
    expect(attempts).toEqual(['refused', 'taken']);
  });
});
