import { readFileSync } from 'node:fs';
import { TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import * as Y from 'yjs';
import { CommandError, expectPositionals, optionNumber, optionString, type ParsedArgs } from '../args.js';
import { docOutput, writeDoc } from '../output.js';
import { parseRoomUrl, SyncSocket } from '../sync-socket.js';

/** Usage of `tandem export`. */
export const EXPORT_USAGE = `usage: tandem export <ws-url>/sync/<room> [--format text|json|yjs] [--out file] [--token T] [--timeout S]

Connects as a client, syncs the document and writes it: text (default without --out), json, or yjs
(the Yjs update, Y.encodeStateAsUpdate; default with --out). The document is not modified.`;

/** Usage of `tandem import`. */
export const IMPORT_USAGE = `usage: tandem import <ws-url>/sync/<room> <file> [--token T] [--timeout S]

Sends a Yjs update file (e.g. from "tandem export --format yjs") to the room over tandem.v1 and
exits 0 once the server acknowledges it as durable. The update is merged into the document. An
update that builds on history the document does not have is refused before anything is sent.`;

/** Option names of `tandem export`. */
export const EXPORT_SPEC = { values: ['format', 'out', 'token', 'timeout'] } as const;
/** Option names of `tandem import`. */
export const IMPORT_SPEC = { values: ['token', 'timeout'] } as const;

type Out = (line: string) => void;

function timeoutMs(args: ParsedArgs): number {
  return (optionNumber(args, 'timeout') ?? 30) * 1000;
}

/** `tandem export`. Resolves with the exit code. */
export async function exportDoc(args: ParsedArgs, _out: Out, err: Out): Promise<number> {
  const [raw] = expectPositionals(args, ['<ws-url>/sync/<room>']);
  const target = parseRoomUrl(raw as string);
  const output = docOutput(args);
  const timeout = timeoutMs(args);
  const socket = await SyncSocket.open(target.url, { token: optionString(args, 'token'), timeoutMs: timeout });
  let doc: Y.Doc;
  try {
    doc = await fetchDoc(socket, timeout);
  } finally {
    await socket.close();
  }
  const bytes = await writeDoc(doc, output);
  err(
    `# ${JSON.stringify(target.room)}: exported ${bytes} bytes (${output.format})${output.file ? ` to ${output.file}` : ''}`,
  );
  doc.destroy();
  return 0;
}

/** The room's whole document: an empty state vector asks for all of it, the server answers with sync step 2. */
async function fetchDoc(socket: SyncSocket, timeout: number): Promise<Y.Doc> {
  const doc = new Y.Doc();
  const step2 = socket.waitFor((f) => (f.type === 'sync-step2' ? f.update : undefined), 'the document', timeout);
  socket.send({ type: 'sync-step1', stateVector: Y.encodeStateVector(doc) });
  Y.applyUpdate(doc, await step2);
  return doc;
}

/**
 * Whether `update` builds on history `doc` lacks: Yjs then keeps part of it pending, and the
 * server would drop that part once nobody sends the history (YJS-3) after acking the frame.
 */
function lacksHistory(doc: Y.Doc, update: Uint8Array): boolean {
  Y.applyUpdate(doc, update);
  return doc.store.pendingStructs !== null || doc.store.pendingDs !== null;
}

/** `tandem import`. Resolves with the exit code. */
export async function importDoc(args: ParsedArgs, _out: Out, err: Out): Promise<number> {
  const [raw, file] = expectPositionals(args, ['<ws-url>/sync/<room>', '<file>']);
  const target = parseRoomUrl(raw as string);
  const timeout = timeoutMs(args);
  let update: Uint8Array;
  try {
    update = new Uint8Array(readFileSync(file as string));
  } catch (e) {
    throw new CommandError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    Y.applyUpdate(new Y.Doc(), update);
  } catch {
    throw new CommandError(`${file} is not a Yjs update (import takes what "tandem export --format yjs" writes)`);
  }
  const socket = await SyncSocket.open(target.url, {
    token: optionString(args, 'token'),
    tandem: true,
    timeoutMs: timeout,
  });
  try {
    if (socket.protocol !== TANDEM_SUBPROTOCOL) {
      throw new CommandError(`the server did not negotiate ${TANDEM_SUBPROTOCOL}, so it cannot confirm durability`);
    }
    const current = await fetchDoc(socket, timeout);
    const orphan = lacksHistory(current, update);
    current.destroy();
    if (orphan) {
      throw new CommandError(
        `${file} depends on history the document ${JSON.stringify(target.room)} does not have (it continues edits ` +
          'the server never received); import a full-state update ("tandem export --format yjs") or the updates it builds on first',
      );
    }
    // Our first update frame is number 1; "persisted through 1" means it is on disk (ACK-1).
    const acked = socket.waitFor((f) => (f.type === 'ack' && f.through >= 1 ? true : undefined), 'its ack', timeout);
    const denied = socket.waitFor(
      (f) => (f.type === 'auth-permission-denied' ? f.reason : undefined),
      'a permission notice',
      timeout + 1000,
    );
    // Whichever loses the race is settled when the socket closes below; keep it from going unhandled.
    acked.catch(() => {});
    denied.catch(() => {});
    socket.send({ type: 'sync-update', update });
    const outcome = await Promise.race([acked.then(() => null), denied.catch(() => new Promise<never>(() => {}))]);
    if (outcome !== null) throw new CommandError(`the server refused the update: ${outcome}`);
  } finally {
    await socket.close();
  }
  err(`# ${JSON.stringify(target.room)}: imported ${update.byteLength} bytes; acknowledged as durable`);
  return 0;
}
