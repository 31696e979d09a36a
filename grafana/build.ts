// Writes the dashboards that grafana/dashboards.ts builds to grafana/dashboards/*.json.
// Run with `npm run dashboards:build` after changing the module or the registry.

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildDashboards, DASHBOARD_FILES, serialize } from './dashboards.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const dashboards = buildDashboards();
for (const [key, file] of Object.entries(DASHBOARD_FILES)) {
  writeFileSync(`${root}${file}`, serialize(dashboards[key as keyof typeof DASHBOARD_FILES]));
  console.log(`wrote ${file}`);
}
