// Server-sent events on a clock, for the upstream's streams (/stream, a streamed chat completion):
// one timer at a time, cleared the moment the client goes, so a client that leaves ends the
// stream and leaves nothing running.

import type { ServerResponse } from 'node:http';

export interface Clock {
  /** Seconds to the first event. */
  readonly delay: number;
  readonly count: number;
  /** Seconds between two events. */
  readonly interval: number;
}

/**
 * Writes event(1) .. event(count), the first after `delay`, then one every `interval`; then
 * `last` and the end. The caller has set the headers: they leave with the first event, so a
 * client's time to first byte is its time to first token.
 */
export function emitOnClock(
  res: ServerResponse,
  clock: Clock,
  event: (n: number) => string,
  last?: string,
): void {
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  const next = () => {
    sent++;
    res.write(event(sent));
    if (sent < clock.count) timer = setTimeout(next, clock.interval * 1000);
    else if (last === undefined) res.end();
    else res.end(last);
  };
  timer = setTimeout(next, clock.delay * 1000);
  res.once('close', () => clearTimeout(timer));
}
