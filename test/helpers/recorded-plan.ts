// The slot plan the recorded runs in test/fixtures were made with (the smoke, W = 2, time
// scale 0.1, before slots were sized per target). Recorded k6 data is only meaningful with
// the windows it was measured in, so tests that rebuild figures from it read this plan
// rather than build today's, which would put the windows elsewhere.

import { readFileSync } from 'node:fs';
import type { Plan } from '../../k6/lib/plan.ts';

export function recordedSmokePlan(): Plan {
  const file = new URL('../fixtures/k6-plan.smoke-w2.json', import.meta.url);
  return JSON.parse(readFileSync(file, 'utf8')) as Plan;
}
