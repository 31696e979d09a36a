// What a cluster makes of a TestRun's `args`, so that a test can run the very commands with the
// real sh and the real k6: k6-operator 1.6.0's runner and initializer commands
// (pkg/resources/jobs/runner.go NewRunnerJob, initializer.go newInitializerCommand, and
// pkg/types/k6cli.go ParseCLI for what reaches `k6 archive`), then the kubelet's expansion of
// `$(NAME)` in a container's command. Written from k6-operator's source at v1.6.0.

import { segments } from '../../scripts/segments.ts';

/** Kubernetes' expansion of a container's command: `$$` is one `$`, `$(NAME)` the variable's value when it is defined. */
export function kubeletExpand(arg: string, env: Readonly<Record<string, string>>): string {
  return arg.replace(/\$(\$|\(([^)]*)\))?/g, (all, inner: string | undefined, name: string | undefined) => {
    if (inner === '$') return '$';
    return name !== undefined && name in env ? (env[name] as string) : all;
  });
}

/** Flags k6-operator leaves out of `k6 archive`: outputs and what archive does not take. */
const NOT_ARCHIVED = new Set(['-o', '--out', '-l', '--linger', '--no-usage-report', '-v', '--verbose']);
const NOT_ARCHIVED_PREFIXES = ['--log-output', '--block-hostnames', '--blacklist-ip', '--user-agent'];

/** ParseCLI: every flag with the values after it; a value where a flag should be is refused, as the operator refuses the TestRun. */
export function archiveArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const flag = argv[i] as string;
    if (!flag.startsWith('-')) throw new Error(`k6-operator: invalid value for k6 CLI argument: \`${flag}\``);
    let end = i + 1;
    for (; end < argv.length; end++) {
      const value = argv[end] as string;
      // An empty element is a value only right after its flag (`--user-agent ""`).
      if (value === '') {
        if (end === i + 1) end++;
        break;
      }
      if (value.startsWith('-')) break;
    }
    const skipped = NOT_ARCHIVED.has(flag) || NOT_ARCHIVED_PREFIXES.some((p) => flag.startsWith(p));
    if (!skipped) out.push(...argv.slice(i, end));
    i = end;
  }
  return out;
}

/**
 * The initializer's shell program for `args`: the archive is $1, the rest is the `k6 archive`
 * command, run as "$@" (never parsed by the shell), then `k6 inspect` of the archive, whose
 * JSON the operator reads. Its log file sits beside the archive instead of in /tmp.
 */
const INITIALIZER_PROGRAM = [
  'archive="$1"',
  'shift',
  'logs="$archive.log"',
  'mkdir -p "$(dirname "$archive")" || exit 1',
  'if ! "$@" 2> "$logs"; then cat "$logs"; exit 1; fi',
  'if ! k6 inspect --execution-requirements "$archive" 2> "$logs"; then cat "$logs"; exit 1; fi',
  'if grep \'level.*error\' "$logs"; then exit 1; fi',
].join('\n');

export interface OperatorSpec {
  readonly parallelism: number;
  readonly args: readonly string[];
  readonly runner: { readonly env: readonly { readonly name: string; readonly value: string }[] };
}

/** The initializer container's command, before the kubelet expands it. */
export function initializerCommand(spec: OperatorSpec, script: string, archive: string): string[] {
  const env = spec.runner.env.flatMap((e) => ['-e', `${e.name}=$(${e.name})`]);
  return [
    'sh',
    '-c',
    INITIALIZER_PROGRAM,
    'sh',
    archive,
    'k6',
    'archive',
    script,
    ...env,
    '-O',
    archive,
    ...archiveArgs(spec.args),
  ];
}

/**
 * Runner `index` (1-based)'s command, before the kubelet expands it: its execution segment
 * (the same strings as k6-operator's segmentation package, see segments()), the TestRun's
 * args, the script, and the two tags the operator adds to every runner.
 */
export function runnerCommand(
  spec: OperatorSpec,
  testRunName: string,
  index: number,
  script: string,
  address: string,
): string[] {
  const command = ['k6', 'run', '--quiet'];
  const segment = segments(spec.parallelism)[index - 1];
  if (spec.parallelism > 1 && segment) {
    command.push(
      `--execution-segment=${segment.segment}`,
      `--execution-segment-sequence=${segment.sequence}`,
    );
  }
  command.push(...spec.args, script, `--address=${address}`, '--paused');
  command.push('--tag', `instance_id=${index}`, '--tag', `testrun_name=${testRunName}`);
  return command;
}

/** The pod's environment, as the kubelet knows it for `$(NAME)`. */
export const podEnv = (spec: OperatorSpec): Record<string, string> =>
  Object.fromEntries(spec.runner.env.map((e) => [e.name, e.value]));
