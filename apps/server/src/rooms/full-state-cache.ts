import { encode } from '@tandem/protocol';
import * as Y from 'yjs';
import type { RoomDocument } from './room-document.js';

/** An empty state vector is the single byte 0 (no clients). */
function isEmptyStateVector(stateVector: Uint8Array): boolean {
  return stateVector.byteLength === 1 && stateVector[0] === 0;
}

/** Where a joiner's answer goes. */
export interface JoinAnswerTarget {
  sendAll(frames: readonly Uint8Array[]): void;
}

/**
 * Answers joiners' sync step 1 (SYNC-1, SYNC-2). A document kept as bytes answers from them and
 * builds no Y.Doc: a joiner with an empty state vector gets the bytes' own sync step 2 frame
 * ({@link RoomDocument.syncStep2}: no copy, however many join), one that holds part of it
 * `Y.diffUpdate` of them; a large one with updates appended since its bytes were merged first waits
 * for the snapshot thread to merge them. Once the Y.Doc is built, the whole document as one sync
 * step 2 frame is encoded for the first joiner with an empty state vector; either frame is shared
 * by every other until the document changes: a crowd opening it at once costs one encode at most.
 */
export class FullStateCache {
  private readonly document: RoomDocument;
  private cached: readonly Uint8Array[] | null = null;

  /**
   * Watches `document`: once its Y.Doc exists, any transaction outdates the cached frame; before,
   * the room calls {@link forget} when it appends an update to the bytes.
   */
  constructor(document: RoomDocument) {
    this.document = document;
    document.onBuilt((doc) => doc.on('afterTransaction', this.forget));
  }

  /**
   * Sends `to` what the document holds beyond `stateVector`: at once, or once the merger is done
   * (`failed` is told of an error then). Throws, before anything is sent, for a state vector
   * Yjs cannot decode.
   */
  answer(stateVector: Uint8Array, to: JoinAnswerTarget, failed: (err: unknown) => void): void {
    if (!this.document.mergeDue) {
      to.sendAll(this.framesFor(stateVector));
      return;
    }
    Y.decodeStateVector(stateVector);
    this.document
      .whenMerged()
      .then(() => to.sendAll(this.framesFor(stateVector)))
      .catch(failed);
  }

  /**
   * The answer's frames: a sync step 2 holding what the document holds beyond `stateVector`,
   * preceded by the updates appended to a large document's bytes since they were last merged (a
   * client holds those until the sync step 2 brings what they build on, so when it counts itself
   * synced it holds all of it).
   */
  private framesFor(stateVector: Uint8Array): readonly Uint8Array[] {
    const empty = isEmptyStateVector(stateVector);
    if (empty && this.cached !== null) return this.cached;
    const state = this.document.joinState();
    if (state === null) {
      const doc = this.document.doc;
      const frames = [encode.syncStep2(empty ? Y.encodeStateAsUpdate(doc) : Y.encodeStateAsUpdate(doc, stateVector))];
      if (empty) this.cached = frames;
      return frames;
    }
    // A fresh joiner gets the document's own frame: no copy, and keeping it costs nothing more.
    const step2 = empty ? this.document.syncStep2() : encode.syncStep2(Y.diffUpdate(state.merged, stateVector));
    if (state.appended !== null) return [encode.syncUpdate(state.appended), step2];
    const frames = [step2];
    if (empty) this.cached = frames;
    return frames;
  }

  /** Any transaction (applied, pending or not) and any dropped pending update outdate the cached state. */
  readonly forget = (): void => {
    this.cached = null;
  };

  /** Stops watching the document. */
  dispose(): void {
    this.document.builtDoc?.off('afterTransaction', this.forget);
  }
}
