// The slot plan the recorded runs in test/fixtures were made with (the smoke, W = 2, time
// scale 0.1, before slots were sized per target). Recorded k6 data is only meaningful with
// the windows it was measured in, so tests that rebuild figures from it read this plan
// rather than build today's, which would put the windows elsewhere.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Plan } from '../../k6/lib/plan.ts';

export function recordedSmokePlan(): Plan {
  const file = new URL('../fixtures/k6-plan.smoke-w2.json', import.meta.url);
  return JSON.parse(readFileSync(file, 'utf8')) as Plan;
}

/** Where the recording of test/fixtures/influx-smoke.lp.gz keeps the plan it was made with. */
export const RECORDED_INFLUX_PLAN = fileURLToPath(
  new URL('../fixtures/influx-smoke.plan.json', import.meta.url),
);

/** The plan of the InfluxDB recording (test/grafana-influx.test.ts writes both, RECORD_INFLUX_FIXTURE=1). */
export function recordedInfluxPlan(): Plan {
  return JSON.parse(readFileSync(RECORDED_INFLUX_PLAN, 'utf8')) as Plan;
}
