/**
 * Child process of the noisy-neighbour scenario (`node resync-child.js <url> <dialect> <room>
 * <clients> <pauseMs>`): opens `clients` connections to the large document and re-syncs each in a
 * loop (a pause between re-syncs) until the parent sends `stop`, then closes them and reports how
 * many re-syncs completed. It runs apart from the probes so that receiving the large document's
 * bytes does not delay the probes' own event loop (measured: in one process the probes' loop lag
 * p99 rose from 1.8 to 7.1 ms and the probes' p99 was mostly the generator's).
 */

import { LoadClient } from './clients.js';
import type { Dialect } from './frames.js';
import { sleep } from './util.js';

/** Messages from the child to its parent. */
export type ResyncChildMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'done'; readonly resyncs: number }
  | { readonly type: 'failed'; readonly error: string };

const MAX_RESYNCS_PER_CLIENT = 10_000;
const TIMEOUT_MS = 60_000;

async function main(argv: readonly string[]): Promise<void> {
  const [url, dialect, room, clients, pauseMs] = argv;
  if (url === undefined || room === undefined || (dialect !== 'y-websocket' && dialect !== 'hocuspocus')) {
    throw new Error('usage: resync-child.js <url> <y-websocket|hocuspocus> <room> <clients> <pauseMs>');
  }
  const target = { dialect: dialect as Dialect, url: () => url };
  const opened = await Promise.all(
    Array.from({ length: Number(clients) }, () => LoadClient.open(target, room, TIMEOUT_MS)),
  );
  let stop = false;
  process.once('message', () => {
    stop = true;
  });
  send({ type: 'ready' });
  let resyncs = 0;
  await Promise.all(
    opened.map(async (client) => {
      for (let i = 0; i < MAX_RESYNCS_PER_CLIENT && !stop; i++) {
        await client.resync(TIMEOUT_MS);
        resyncs += 1;
        await sleep(Number(pauseMs));
      }
      await client.close();
    }),
  );
  send({ type: 'done', resyncs });
}

function send(message: ResyncChildMessage): void {
  process.send?.(message);
}

main(process.argv.slice(2)).then(
  () => process.disconnect?.(),
  (err: unknown) => {
    send({ type: 'failed', error: err instanceof Error ? err.message : String(err) });
    process.exitCode = 1;
    process.disconnect?.();
  },
);
