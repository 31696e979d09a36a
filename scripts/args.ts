// The command-line walk shared by the npm scripts (k6-run, report, k6-operator): `--flag`,
// `--flag value` and `--flag=value`, with one wording for every mistake and the script's usage
// line after it, so a user who mistypes any of them reads the same kind of answer.

export interface Arg {
  readonly flag: string;
  /** The flag's value (inline after `=` or the next argument); throws when there is none. */
  value(): string;
}

/**
 * Hands each flag to `take`, which returns false for one it does not know. A flag that `take`
 * handled without asking for its value is a switch, and `--switch=x` is refused rather than
 * silently ignored.
 */
export function walkArgs(argv: readonly string[], usage: string, take: (arg: Arg) => boolean): void {
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] ?? '';
    const [flag = '', inline] = raw.split(/=(.*)/s);
    let asked = false;
    const value = () => {
      asked = true;
      const v = inline ?? argv[++i];
      if (v === undefined || (inline === undefined && v.startsWith('--')))
        throw new Error(`${flag} needs a value; ${usage}`);
      return v;
    };
    if (!flag.startsWith('--') || !take({ flag, value }))
      throw new Error(`unknown argument ${raw}; ${usage}`);
    if (!asked && inline !== undefined) throw new Error(`${flag} takes no value; ${usage}`);
  }
}

/** A whole number in [min, max], or an error naming the flag and what it got. */
export function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= min && n <= max))
    throw new Error(`${flag} must be a whole number from ${min} to ${max}, got ${text}`);
  return n;
}
