import { randomUUID } from 'node:crypto';
import { CloseCode, decodeFrame } from '@tandem/protocol';
import type { Logger } from 'pino';
import * as Y from 'yjs';
import type { RoomMember } from './rooms/member.js';
import type { RoomRegistry } from './rooms/room-registry.js';

/** Transaction origin of what a handle's replica receives from its room (not its own change). */
const FROM_ROOM = Symbol('from-room');

/** Thrown when a change is refused (the update guard, YJS-1) or the handle is closed; `message` names the problem. */
export class DocumentChangeError extends Error {
  override readonly name = 'DocumentChangeError';
}

/** One open document of the in-process API: a live replica of the room's Y.Doc (PLUGIN-2). */
export interface DocumentHandle {
  readonly id: string;
  /**
   * The replica: it receives every change of the room (collaborators, other nodes, REST) as it is
   * applied. Read it freely; change it only through {@link change} or {@link applyUpdate}.
   */
  readonly doc: Y.Doc;
  /** False once closed (by {@link close}, the server's shutdown, or the document's deletion). */
  readonly isOpen: boolean;
  /**
   * Runs `edit` on a copy of the replica in one transaction and applies the resulting update in the room;
   * resolves once it is durably stored (PLUGIN-3). Rejects with {@link DocumentChangeError} when refused.
   */
  change(edit: (doc: Y.Doc) => void): Promise<void>;
  /** Applies a Yjs update in the room; resolves once it is durably stored (PLUGIN-3). */
  applyUpdate(update: Uint8Array): Promise<void>;
  /** Calls `listener` with each update the document takes from now on, whoever made it; returns the unsubscribe. */
  onChange(listener: (update: Uint8Array) => void): () => void;
  /** Leaves the room (it unloads after the idle delay when nobody else is in it). */
  close(): void;
}

/** The in-process API a host application reaches as `app.tandem.documents` (PLUGIN-2). */
export interface InProcessDocuments {
  /** Opens a document (loading its room like a session's join does) and returns a live handle. */
  open(id: string): Promise<DocumentHandle>;
  /** A copy of the document's current state (loaded like a join, left at once). */
  read(id: string): Promise<Y.Doc>;
  /** Applies a Yjs update to a document without keeping it open; resolves once durably stored. */
  applyUpdate(id: string, update: Uint8Array): Promise<void>;
}

/** What the in-process API uses: the registry (every write goes through its importUpdate) and a logger. */
export interface InProcessDocumentsDeps {
  readonly registry: Pick<RoomRegistry, 'join' | 'leave' | 'importUpdate'>;
  readonly logger: Logger;
}

/** Creates the in-process API over the room registry. */
export function createInProcessDocuments(deps: InProcessDocumentsDeps): InProcessDocuments {
  const applyUpdate = async (id: string, update: Uint8Array): Promise<void> => {
    // The one way the server applies its own change: inspected, relayed, stored, then resolved.
    const verdict = await deps.registry.importUpdate(id, update);
    if (!verdict.ok) throw new DocumentChangeError(`change refused: ${verdict.reason}`);
  };
  const open = async (id: string): Promise<DocumentHandle> => {
    const member = new InProcessMember(id, deps.logger.child({ room: id, inProcess: true }));
    const room = await deps.registry.join(member);
    if (!member.isOpen) throw new DocumentChangeError(`document ${JSON.stringify(id)} was closed while opening`);
    Y.applyUpdate(member.doc, Y.encodeStateAsUpdate(room.doc), FROM_ROOM);
    return {
      id,
      doc: member.doc,
      get isOpen() {
        return member.isOpen;
      },
      async change(edit) {
        if (!member.isOpen) throw new DocumentChangeError(`document ${JSON.stringify(id)} is closed`);
        // The edit runs on a scratch copy, so a refused change never shows in the replica.
        const scratch = new Y.Doc({ guid: id });
        Y.applyUpdate(scratch, Y.encodeStateAsUpdate(member.doc));
        const updates: Uint8Array[] = [];
        scratch.on('update', (u: Uint8Array) => updates.push(u));
        try {
          scratch.transact(() => edit(scratch));
        } finally {
          scratch.destroy();
        }
        if (updates.length === 0) return;
        const update = Y.mergeUpdates(updates);
        await applyUpdate(id, update);
        Y.applyUpdate(member.doc, update, FROM_ROOM);
      },
      async applyUpdate(update) {
        if (!member.isOpen) throw new DocumentChangeError(`document ${JSON.stringify(id)} is closed`);
        await applyUpdate(id, update);
        Y.applyUpdate(member.doc, update, FROM_ROOM);
      },
      onChange(listener) {
        const handler = (update: Uint8Array) => listener(update);
        member.doc.on('update', handler);
        return () => member.doc.off('update', handler);
      },
      close() {
        if (!member.isOpen) return;
        member.close(CloseCode.normal, 'closed by the application');
        deps.registry.leave(member);
      },
    };
  };
  return {
    open,
    async read(id) {
      const handle = await open(id);
      try {
        const copy = new Y.Doc({ guid: id });
        Y.applyUpdate(copy, Y.encodeStateAsUpdate(handle.doc));
        return copy;
      } finally {
        handle.close();
      }
    },
    applyUpdate,
  };
}

/**
 * A room member inside the server process: it keeps a replica of the room's document from the
 * frames the room sends it, and writes nothing through the member path (changes go through the
 * registry's importUpdate).
 */
class InProcessMember implements RoomMember {
  readonly id = randomUUID();
  readonly protocol = 'in-process';
  readonly identity = null;
  readonly canWrite = false;
  readonly isTandem = false;
  readonly acknowledges = false;
  readonly bufferedAmount = 0;
  readonly doc: Y.Doc;
  readonly closed: Promise<void>;
  private open = true;
  private resolveClosed!: () => void;

  constructor(
    readonly roomId: string,
    readonly log: Logger,
  ) {
    this.doc = new Y.Doc({ guid: roomId });
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  get isOpen(): boolean {
    return this.open;
  }

  send(bytes: Uint8Array): boolean {
    if (!this.open) return false;
    const decoded = decodeFrame(bytes);
    if (!decoded.ok) return true;
    const frame = decoded.frame;
    if (frame.type === 'sync-step2' || frame.type === 'sync-update') Y.applyUpdate(this.doc, frame.update, FROM_ROOM);
    return true;
  }

  sendAll(frames: readonly Uint8Array[]): void {
    for (const frame of frames) this.send(frame);
  }

  sendExtension(): boolean {
    return false;
  }

  close(code: number, message: string): void {
    if (!this.open) return;
    this.open = false;
    if (code !== CloseCode.normal) this.log.info({ code, message }, 'in-process document closed');
    this.resolveClosed();
  }

  terminate(why: string): void {
    this.close(CloseCode.goingAway, why);
  }

  /** The in-process API writes through the registry, never as a member: there is no access to change. */
  grant(): void {}

  nextUpdateFrame(): number {
    return 0;
  }

  acknowledge(): void {}

  markAlive(): void {}
}
