// The command line of every npm script (k6-run, report, k6-operator, servers): node:util's
// parseArgs in strict mode (`--flag`, `--flag value`, `--flag=value`, no positionals), with its
// errors turned into one line that names the mistake and ends with the script's usage, so a
// user who mistypes any of them reads the same kind of answer.

import { type ParseArgsConfig, parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** The flag a parseArgs error names (`'--targets <value>'` -> `--targets`). */
const named = (message: string): string => /'(-[^'\s]*)/.exec(message)?.[1] ?? message;

/** The argument as the user typed it (`--smok=x`, not parseArgs' `--smok`). */
const typed = (argv: readonly string[], flag: string): string =>
  argv.find((a) => a === flag || a.startsWith(`${flag}=`)) ?? flag;

function oneLine(err: unknown, argv: readonly string[], usage: string): Error {
  const { code, message } = err as { code?: string; message: string };
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
    return new Error(`unknown argument ${typed(argv, named(message))}; ${usage}`);
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
    return new Error(`unknown argument ${/'([^']*)'/.exec(message)?.[1] ?? message}; ${usage}`);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = named(message);
    return new Error(
      message.includes('does not take an argument')
        ? `${flag} takes no value; ${usage}`
        : `${flag} needs a value; ${usage}`,
    );
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** The flags' values (absent ones undefined), or an error in one line ending with `usage`. */
export function parseFlags<O extends Options>(argv: readonly string[], options: O, usage: string) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw oneLine(err, argv, usage);
  }
}

/** A whole number in [min, max], or an error naming the flag and what it got. */
export function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= min && n <= max))
    throw new Error(`${flag} must be a whole number from ${min} to ${max}, got ${text}`);
  return n;
}
