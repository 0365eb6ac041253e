/** A command-line mistake: printed with the usage text, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure at run time (connection refused, document rejected, bad file): exit code 1. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
}

/** Parsed arguments: positionals in order, options by name (flags are `true`). */
export interface ParsedArgs {
  readonly positionals: string[];
  readonly options: Map<string, string | true>;
}

/** What a command accepts: option names that take a value, and boolean flags. */
export interface ArgSpec {
  readonly values?: readonly string[];
  readonly flags?: readonly string[];
}

/** Parses `--name value`, `--name=value` and `--flag`; anything unknown is a usage error. */
export function parseArgs(argv: readonly string[], spec: ArgSpec): ParsedArgs {
  const values = new Set(spec.values ?? []);
  const flags = new Set([...(spec.flags ?? []), 'help']);
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '-') {
      if (arg === '-h') options.set('help', true);
      else positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (flags.has(name)) {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      options.set(name, true);
    } else if (values.has(name)) {
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
      options.set(name, value);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return { positionals, options };
}

/** The string value of option `name`, if given. */
export function optionString(args: ParsedArgs, name: string): string | undefined {
  const value = args.options.get(name);
  return typeof value === 'string' ? value : undefined;
}

/** A positive number option (`--count 5`, `--seconds 2.5`), or undefined when absent. */
export function optionNumber(args: ParsedArgs, name: string, options: { integer?: boolean } = {}): number | undefined {
  const raw = optionString(args, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (options.integer === true && !Number.isInteger(value))) {
    throw new UsageError(`--${name} must be a ${options.integer === true ? 'whole ' : ''}non-negative number`);
  }
  return value;
}

/** Exactly `count` positionals, named in the error message when missing or extra. */
export function expectPositionals(args: ParsedArgs, names: readonly string[]): string[] {
  if (args.positionals.length < names.length) {
    throw new UsageError(`missing ${names.slice(args.positionals.length).join(' and ')}`);
  }
  if (args.positionals.length > names.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[names.length])}`);
  }
  return args.positionals;
}
