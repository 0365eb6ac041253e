import type { Socket } from 'node:net';

/**
 * Every TCP connection of the server that nothing else tracks, so that the drain can end them all
 * by its deadline (CONN-3, CONN-5): plain HTTP ones, upgrades still being authorised, and upgrades
 * answered with an error (Node hands upgrade sockets over and never closes them). A socket that
 * became a WebSocket is handed over to the WebSocket server, which tracks its clients: from then on
 * no listener of ours stays on it (the upgrade's own listeners are gone too, so its single 'close'
 * listener is ws's, held without an array).
 */
export class OpenSockets {
  private readonly sockets = new Set<Socket>();
  /** One listener for every socket: EventEmitter calls it with the socket as `this`. */
  private readonly forget: (this: Socket) => void;
  private refusing = false;

  constructor() {
    const sockets = this.sockets;
    this.forget = function forget(this: Socket) {
      sockets.delete(this);
    };
  }

  /** Tracks a new connection until it closes; once the drain is over, destroys it instead. */
  add(socket: Socket): void {
    if (this.refusing) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    // 'close' is emitted once: on() needs no once() wrapper (two more objects per connection).
    socket.on('close', this.forget);
  }

  /** `socket` is a WebSocket client's now: the WebSocket server's clients cover it. */
  handOver(socket: Socket): void {
    if (this.sockets.delete(socket)) socket.removeListener('close', this.forget);
  }

  /** Destroys every tracked connection, and every new one from now on. */
  destroyAll(): void {
    this.refusing = true;
    for (const socket of this.sockets) socket.destroy();
  }
}
