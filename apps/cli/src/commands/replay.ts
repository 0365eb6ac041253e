import { expectPositionals, optionNumber, optionString, type ParsedArgs, UsageError } from '../args.js';
import { docOutput, writeDoc } from '../output.js';
import { parseUntil, readRecording } from '../recording.js';
import { type ReplayResult, recordedRooms, replayRecording, replaySqlite } from '../replay.js';

/** Usage of `tandem replay`. */
export const REPLAY_USAGE = `usage: tandem replay <recording.jsonl> [--room R] [--until <ms|ISO time>] [--format text|json|yjs] [--out file]
       tandem replay --sqlite <DATA_DIR>/tandem.sqlite --room R [--seq N] [--format text|json|yjs] [--out file]

Rebuilds a document from a recording (its sync step 2 and update frames up to --until) or from the
embedded store's snapshot and update log (up to log position --seq), then prints its text or writes it.
  --room R     the document (required for --sqlite, and for recordings of several rooms)
  --format F   text (default without --out), json, or yjs (the Yjs update; default with --out)`;

/** Option names of `tandem replay`. */
export const REPLAY_SPEC = { values: ['room', 'until', 'sqlite', 'seq', 'format', 'out'] } as const;

type Out = (line: string) => void;

/** `tandem replay`. Resolves with the exit code. */
export async function replay(args: ParsedArgs, _out: Out, err: Out): Promise<number> {
  const output = docOutput(args);
  const sqlite = optionString(args, 'sqlite');
  let room = optionString(args, 'room');
  let result: ReplayResult;
  if (sqlite !== undefined) {
    expectPositionals(args, []);
    if (args.options.has('until')) throw new UsageError('--until applies to recordings; use --seq with --sqlite');
    if (room === undefined) throw new UsageError('--sqlite needs --room <document>');
    result = replaySqlite(sqlite, room, optionNumber(args, 'seq', { integer: true }));
  } else {
    const [file] = expectPositionals(args, ['<recording.jsonl>']);
    if (args.options.has('seq')) throw new UsageError('--seq applies to --sqlite; use --until with a recording');
    const frames = readRecording(file as string);
    const rooms = recordedRooms(frames);
    if (room === undefined) {
      if (rooms.length > 1) {
        throw new UsageError(`the recording holds ${rooms.length} rooms; pick one with --room (${rooms.join(', ')})`);
      }
      room = rooms[0] ?? '';
    }
    const until = optionString(args, 'until');
    result = replayRecording(frames, room, until === undefined ? undefined : parseUntil(until));
  }
  for (const note of result.notes) err(`# ${note}`);
  err(`# ${JSON.stringify(room)}: ${result.applied} update(s) applied`);
  const bytes = await writeDoc(result.doc, output);
  if (output.file !== undefined) err(`# wrote ${bytes} bytes (${output.format}) to ${output.file}`);
  result.doc.destroy();
  return 0;
}
