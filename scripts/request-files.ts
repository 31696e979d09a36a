// body=@file and headers=@file of black-box targets, read from disk: k6 cannot read files in
// a way every version and k6-operator's pods share, so the runner and the operator read them
// here and hand k6 their contents inside TARGETS.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readRequestFiles } from '../k6/lib/black-box.ts';
import type { Target } from '../k6/lib/targets.ts';

/** Each target with its request files read, relative to where npm was run (INIT_CWD). */
export function withRequestFiles(targets: readonly Target[], env: NodeJS.ProcessEnv = process.env): Target[] {
  const cwd = env.INIT_CWD ?? process.cwd();
  return targets.map((t) => readRequestFiles(t, (file) => readFileSync(path.resolve(cwd, file), 'utf8')));
}
