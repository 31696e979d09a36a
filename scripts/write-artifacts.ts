// Writes a run's output files (k6/lib/artifacts.ts) the way k6 writes what handleSummary
// returns: each path with its text, then `stdout` to the terminal.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Artifacts } from '../k6/lib/artifacts.ts';

export function writeArtifacts(artifacts: Artifacts, stdout: NodeJS.WritableStream = process.stdout): void {
  for (const [file, text] of Object.entries(artifacts)) {
    if (file === 'stdout' || file === 'stderr') continue;
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  if (artifacts.stdout !== undefined) stdout.write(artifacts.stdout);
}
