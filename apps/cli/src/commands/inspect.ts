import { setLongTimeout } from '@tandem/protocol';
import * as Y from 'yjs';
import { expectPositionals, optionNumber, optionString, type ParsedArgs, UsageError } from '../args.js';
import { DEFAULT_STATE_CHARS, describeFrame } from '../describe-frame.js';
import { readRecording } from '../recording.js';
import { describeClose, parseRoomUrl, SyncSocket } from '../sync-socket.js';

/** Usage of `tandem inspect`. */
export const INSPECT_USAGE = `usage: tandem inspect <ws-url>/sync/<room> [--token T] [--tandem] [--count N] [--seconds S]
       tandem inspect --recording <file.jsonl> [--room R] [--count N]

Prints every frame, decoded, one line each: direction (-> to the server, <- from it), type/sub-type,
byte sizes, the client ids and clock ranges of updates, awareness client ids and states.
  --token T        sent as "Authorization: Bearer T"
  --tandem         offer the tandem.v1 subprotocol (acks, notices, pongs)
  --count N        stop after N received frames
  --seconds S      stop after S seconds
  --state-chars N  cut awareness states after N characters (default ${DEFAULT_STATE_CHARS})`;

/** Option names of `tandem inspect`. */
export const INSPECT_SPEC = {
  values: ['token', 'count', 'seconds', 'recording', 'room', 'state-chars'],
  flags: ['tandem'],
} as const;

type Out = (line: string) => void;

/** `tandem inspect`: a live room or a recording. Resolves with the exit code. */
export async function inspect(args: ParsedArgs, out: Out, err: Out): Promise<number> {
  const count = optionNumber(args, 'count', { integer: true });
  const stateChars = optionNumber(args, 'state-chars', { integer: true }) ?? DEFAULT_STATE_CHARS;
  const recording = optionString(args, 'recording');
  if (recording !== undefined) {
    expectPositionals(args, []);
    if (args.options.has('token') || args.options.has('tandem') || args.options.has('seconds')) {
      throw new UsageError('--token, --tandem and --seconds apply to a live room, not to --recording');
    }
    const room = optionString(args, 'room');
    let printed = 0;
    for (const entry of readRecording(recording)) {
      if (room !== undefined && entry.room !== room) continue;
      if (count !== undefined && printed >= count) break;
      const time = new Date(entry.t).toISOString();
      out(
        `${time} room=${JSON.stringify(entry.room)} session=${entry.session} -> ${describeFrame(entry.frame, stateChars)}`,
      );
      printed++;
    }
    return 0;
  }
  if (args.options.has('room')) throw new UsageError('--room applies to --recording; a live URL names its room');
  const [raw] = expectPositionals(args, ['<ws-url>/sync/<room>']);
  const target = parseRoomUrl(raw as string);
  const seconds = optionNumber(args, 'seconds');
  const socket = await SyncSocket.open(target.url, {
    token: optionString(args, 'token'),
    tandem: args.options.has('tandem'),
  });
  err(`# connected to ${target.url} (room ${JSON.stringify(target.room)}, ${socket.protocol || 'plain y-websocket'})`);
  const stamp = () => new Date().toISOString().slice(11, 23);
  let received = 0;
  let stopReason: string | null = null;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const stop = (why: string) => {
    stopReason ??= why;
    finish();
  };
  socket.onFrame((bytes) => {
    if (stopReason !== null) return;
    out(`${stamp()} <- ${describeFrame(bytes, stateChars)}`);
    received++;
    if (count !== undefined && received >= count) stop(`${count} frame(s) received`);
  });
  // Ask for everything: the full document (empty state vector) and every presence state.
  for (const frame of [
    { type: 'sync-step1', stateVector: Y.encodeStateVector(new Y.Doc()) },
    { type: 'query-awareness' },
  ] as const) {
    out(`${stamp()} -> ${describeFrame(socket.send(frame), stateChars)}`);
  }
  // A long timer: --seconds past ~24.8 days (2^31-1 ms) would otherwise stop at once.
  const timer = seconds === undefined ? null : setLongTimeout(() => stop(`${seconds} s elapsed`), seconds * 1000);
  const onSigint = () => stop('interrupted');
  process.once('SIGINT', onSigint);
  const closedFirst = socket.closed.then((closed) => {
    stop('closed');
    return closed;
  });
  if (count === 0) stop('0 frames requested');
  await finished;
  timer?.cancel();
  process.off('SIGINT', onSigint);
  if (stopReason === 'closed') {
    const { code, reason } = await closedFirst;
    err(`# the server closed the connection: ${describeClose(code, reason)}`);
    return code === 1000 ? 0 : 1;
  }
  await socket.close();
  err(`# stopped: ${stopReason}`);
  return 0;
}
