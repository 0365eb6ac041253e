#!/usr/bin/env node
import { type ArgSpec, CommandError, type ParsedArgs, parseArgs, UsageError } from './args.js';
import { INSPECT_SPEC, INSPECT_USAGE, inspect } from './commands/inspect.js';
import { REPLAY_SPEC, REPLAY_USAGE, replay } from './commands/replay.js';
import { EXPORT_SPEC, EXPORT_USAGE, exportDoc, IMPORT_SPEC, IMPORT_USAGE, importDoc } from './commands/transfer.js';
import { VERSIONS_SPEC, VERSIONS_USAGE, versions } from './commands/versions.js';

type Out = (line: string) => void;

interface Command {
  readonly usage: string;
  readonly spec: ArgSpec;
  readonly run: (args: ParsedArgs, out: Out, err: Out) => Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  inspect: { usage: INSPECT_USAGE, spec: INSPECT_SPEC, run: inspect },
  replay: { usage: REPLAY_USAGE, spec: REPLAY_SPEC, run: replay },
  export: { usage: EXPORT_USAGE, spec: EXPORT_SPEC, run: exportDoc },
  import: { usage: IMPORT_USAGE, spec: IMPORT_SPEC, run: importDoc },
  versions: { usage: VERSIONS_USAGE, spec: VERSIONS_SPEC, run: versions },
};

const USAGE = `usage: tandem <command> [options]

commands:
  inspect   print every frame of a live room (or of a recording), decoded
  replay    rebuild a document from a recording or from the SQLite store
  export    sync a room as a client and write the document (text, json, yjs)
  import    send a Yjs update file to a room and wait until it is durable
  versions  list, show, diff and restore a document's versions (REST API)

"tandem <command> --help" describes a command. Exit codes: 0 ok, 1 failure, 2 usage error.`;

/** Runs the command line `argv` (without node and the script); resolves with the exit code. */
export async function run(argv: readonly string[], out: Out, err: Out): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? err : out)(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    err(`tandem: unknown command ${JSON.stringify(name)}\n\n${USAGE}`);
    return 2;
  }
  try {
    const args = parseArgs(rest, command.spec);
    if (args.options.has('help')) {
      out(command.usage);
      return 0;
    }
    return await command.run(args, out, err);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`tandem ${name}: ${e.message}\n\n${command.usage}`);
      return 2;
    }
    if (e instanceof CommandError) {
      err(`tandem ${name}: ${e.message}`);
      return 1;
    }
    err(`tandem ${name}: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}

const line = (stream: NodeJS.WriteStream) => (text: string) => {
  stream.write(`${text}\n`);
};

run(process.argv.slice(2), line(process.stdout), line(process.stderr)).then(
  (code) => {
    // Let pending output drain; every socket and timer is closed, so the process ends by itself.
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`tandem: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
