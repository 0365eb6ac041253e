import type { Frame } from '@tandem/protocol';
import type { Logger } from 'pino';
import type { Access } from '../auth/access.js';
import type { Identity } from '../identity.js';

/**
 * What rooms/ needs of one client in a room: exactly the members the room, its policies and the
 * registry use. The connection layer's Session implements it structurally, so rooms/ depends on
 * no transport (an in-memory member in a test is as good as a WebSocket one).
 */
export interface RoomMember {
  /** The session's id, for logs and the admin API. */
  readonly id: string;
  /** The document this member joined. */
  readonly roomId: string;
  /** The negotiated protocol ('plain' or tandem.v1), shown by the admin API. */
  readonly protocol: string;
  /** Who the member authenticated as; null in open mode. */
  readonly identity: Identity | null;
  /** Whether it may change the document (read-only members still receive it). */
  readonly canWrite: boolean;
  /** True when it negotiated tandem.v1 (acks, pongs, notices). */
  readonly isTandem: boolean;
  /**
   * Whether it is told when its updates are durable (tandem.v1 acks, Hocuspocus sync statuses):
   * its updates then commit within the ack interval, others within the batching one (ACK-1).
   */
  readonly acknowledges: boolean;
  /** False once it has started closing. */
  readonly isOpen: boolean;
  /** Bytes queued on its transport and not yet written (registry stats). */
  readonly bufferedAmount: number;
  /** Resolves once its transport has closed. */
  readonly closed: Promise<void>;
  readonly log: Logger;
  /** Sends one frame; false when it was not sent (closing, or closed as a slow consumer). */
  send(bytes: Uint8Array): boolean;
  /** Sends several frames in order, in one write when the transport allows. */
  sendAll(frames: readonly Uint8Array[]): void;
  /** Sends a tandem.v1 extension frame; a plain member never gets one. */
  sendExtension(frame: Frame): boolean;
  /** Closes it with a documented code. */
  close(code: number, message: string): void;
  /** Destroys its transport at once (shutdown deadline). */
  terminate(why: string): void;
  /** Numbers its next update-carrying frame (EXT-3). */
  nextUpdateFrame(): number;
  /** Marks frame `n` and every earlier one durable (EXT-3). */
  acknowledge(n: number): void;
  /** Records a sign of life (a tandem.v1 ping or pong). */
  markAlive(): void;
  /** Takes changed access while open (a permission pushed mid-session, REVOKE-4): identity and write permission. */
  grant(access: Access): void;
}
