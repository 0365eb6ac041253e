import { createHmac, randomUUID } from 'node:crypto';
import { backoffCeiling, setLongTimeout } from '@tandem/protocol';
import type { Logger } from 'pino';
import type * as Y from 'yjs';
import type { WebhookContentFormat } from '../config.js';
import { type RenderedContent, renderContent } from '../http/content-format.js';
import type { TransformLoader } from '../transform-loader.js';

/** Where and how document-change notifications are sent. */
export interface WebhookSettings {
  readonly url: string;
  /** HMAC-SHA256 key; the signature travels in `X-Tandem-Signature: sha256=<hex>`. */
  readonly secret: string;
  /** Changes to one document within this window produce one notification. */
  readonly debounceMs: number;
  /** Attempts per notification (with exponential backoff between them). */
  readonly attempts: number;
  /** First retry delay; doubles each time. */
  readonly retryMs: number;
}

/** Sends debounced, signed notifications when documents change. */
export interface WebhookNotifier {
  documentChanged(docId: string): void;
  /** Stops timers; deliveries in flight finish on their own. */
  close(): void;
}

/** The body of a notification. */
export interface WebhookPayload {
  readonly event: 'document.changed';
  readonly document: string;
  readonly at: string;
  readonly delivery: string;
  /** With WEBHOOK_CONTENT: the format of `content`. */
  readonly contentFormat?: WebhookContentFormat;
  /** With WEBHOOK_CONTENT: the document's content when the notification was sent (ProseMirror JSON as an object, the rest as text). */
  readonly content?: RenderedContent;
}

/** How notifications carry the changed document's content (WEBHOOK_CONTENT). */
export interface WebhookContent {
  readonly format: WebhookContentFormat;
  /** A copy of the document as it is now; the notifier destroys it. */
  read(docId: string): Promise<Y.Doc>;
  /** The server's content transform, loaded on first use. */
  readonly transform: TransformLoader;
}

/** Signs a body the way receivers verify it. */
export function signWebhook(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** A store that tells `notifier` about every document an append changed. */
export function notifyingStore<S extends { append(entries: readonly { docId: string }[]): Promise<void> }>(
  store: S,
  notifier: WebhookNotifier | null,
): S {
  if (notifier === null) return store;
  return {
    ...store,
    async append(entries: readonly { docId: string }[]) {
      await store.append(entries);
      for (const docId of new Set(entries.map((e) => e.docId))) notifier.documentChanged(docId);
    },
  };
}

/** The payload's content fields: the document as it is now, or none when it cannot be read (the notification still goes). */
async function contentFields(
  content: WebhookContent,
  docId: string,
  logger: Logger,
): Promise<Pick<WebhookPayload, 'content' | 'contentFormat'>> {
  try {
    const doc = await content.read(docId);
    try {
      const { transform } = await content.transform();
      return { contentFormat: content.format, content: renderContent(transform, content.format, doc) };
    } finally {
      doc.destroy();
    }
  } catch (err) {
    logger.warn({ err, room: docId }, 'webhook content could not be read; sending the notification without it');
    return {};
  }
}

/** Creates a notifier posting with the global fetch; with `content`, payloads carry the document's content. */
export function createWebhookNotifier(
  settings: WebhookSettings,
  logger: Logger,
  content: WebhookContent | null = null,
): WebhookNotifier {
  const timers = new Map<string, NodeJS.Timeout>();
  let closed = false;

  const deliver = async (docId: string) => {
    const payload: WebhookPayload = {
      event: 'document.changed',
      document: docId,
      at: new Date().toISOString(),
      delivery: randomUUID(),
      ...(content === null ? {} : await contentFields(content, docId, logger)),
    };
    const body = JSON.stringify(payload);
    for (let attempt = 1; attempt <= settings.attempts; attempt++) {
      try {
        const response = await fetch(settings.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-tandem-signature': signWebhook(settings.secret, body),
            'x-tandem-delivery': payload.delivery,
          },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        if (response.ok) return;
        logger.warn({ room: docId, status: response.status, attempt }, 'webhook refused');
      } catch (err) {
        logger.warn({ err, room: docId, attempt }, 'webhook failed');
      }
      if (attempt < settings.attempts && !closed) {
        // Doubling from WEBHOOK_RETRY_MS, uncapped and without jitter (one sender per delivery),
        // passes 2^31-1 ms within the allowed attempts: a long timer.
        const delayMs = backoffCeiling(settings.retryMs, Number.POSITIVE_INFINITY, attempt - 1);
        await new Promise<void>((resolve) => setLongTimeout(resolve, delayMs, { unref: true }));
      }
    }
    logger.error({ room: docId, attempts: settings.attempts }, 'webhook gave up');
  };

  return {
    documentChanged(docId) {
      if (closed) return;
      clearTimeout(timers.get(docId));
      const timer = setTimeout(() => {
        timers.delete(docId);
        void deliver(docId);
      }, settings.debounceMs);
      timer.unref();
      timers.set(docId, timer);
    },
    close() {
      closed = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}
