import { decodeFrame, type Frame } from '@tandem/protocol';
import { waitFor } from '@tandem/test-utils';
import { WebSocket } from 'ws';

/** A bare WebSocket client that records decoded frames and how the connection closed. */
export interface RawClient {
  readonly ws: WebSocket;
  readonly frames: Frame[];
  /** Set once the connection has closed. */
  readonly closeEvent: { code: number; reason: string } | undefined;
  /** Resolves once open; rejects on an HTTP error or a failed handshake. */
  opened(): Promise<void>;
  send(bytes: Uint8Array): void;
  /** Waits for a frame matching `predicate`. */
  waitForFrame<T extends Frame>(predicate: (frame: Frame) => frame is T, what?: string): Promise<T>;
  /** Waits until the connection has closed and returns the close code and reason. */
  waitForClose(timeoutMs?: number): Promise<{ code: number; reason: string }>;
  close(): void;
}

/** Connects to `url` offering `protocols` (none: plain y-websocket). */
export function connectRaw(
  url: string,
  protocols: string[] = [],
  options: { autoPong?: boolean; headers?: Record<string, string> } = {},
): RawClient {
  const ws = new WebSocket(url, protocols, { autoPong: options.autoPong ?? true, headers: options.headers ?? {} });
  const frames: Frame[] = [];
  let closeEvent: { code: number; reason: string } | undefined;
  ws.on('message', (data: Buffer) => {
    const decoded = decodeFrame(new Uint8Array(data));
    if (decoded.ok) frames.push(decoded.frame);
  });
  ws.on('close', (code, reason) => {
    closeEvent = { code, reason: reason.toString('utf8') };
  });
  ws.on('error', () => {});
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (req, res) => {
      reject(new Error(`HTTP ${res.statusCode}`));
      req.destroy();
    });
    ws.once('error', reject);
  });
  opened.catch(() => {});
  return {
    ws,
    frames,
    get closeEvent() {
      return closeEvent;
    },
    opened: () => opened,
    send: (bytes) => ws.send(bytes),
    waitForFrame: <T extends Frame>(predicate: (frame: Frame) => frame is T, what?: string) =>
      waitFor(() => frames.find(predicate) as T | undefined, what === undefined ? {} : { what }),
    waitForClose: (timeoutMs = 5000) => waitFor(() => closeEvent, { what: 'close', timeoutMs }),
    close: () => {
      if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) ws.terminate();
    },
  };
}

/** Type guard builder for `waitForFrame`. */
export function frameOfType<K extends Frame['type']>(type: K) {
  return (frame: Frame): frame is Extract<Frame, { type: K }> => frame.type === type;
}
