import WebSocket from 'ws';

/** Closes `ws` normally, terminating it if the close handshake has not finished within 2 s. */
export function closeSocket(ws: WebSocket, reason = ''): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      ws.terminate();
      resolve();
    }, 2_000);
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.close(1000, reason);
  });
}
