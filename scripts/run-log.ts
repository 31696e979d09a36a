// The runner's voice: every line it prints starts with [k6-run], so a reader tells it apart
// from k6's own output and from the servers' in one terminal.

export const log = (line: string): void => console.log(`[k6-run] ${line}`);
export const fail = (line: string): void => console.error(`[k6-run] ${line}`);

export function fmtDuration(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - m * 60);
  return m ? `${m} min ${s} s` : `${s} s`;
}
