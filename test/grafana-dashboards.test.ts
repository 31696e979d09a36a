// The committed dashboards: generated from grafana/dashboards.ts (so they cannot drift from the
// registry), and holding what Grafana's dashboard schema requires of a provisioned dashboard.
// That their queries return data and that their ratios equal summary.json's is checked against
// a real InfluxDB in grafana-influx.test.ts.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Dashboard, Panel } from '@grafana/schema';
import {
  buildDashboards,
  DASHBOARD_FILES,
  DASHBOARD_UIDS,
  DATASOURCE,
  type InfluxTarget,
  PANEL_TYPES,
  SCHEMA_VERSION,
  type Transformation,
} from '../grafana/dashboards.ts';
import { METRICS, REQUEST_NAMES, TAGS } from '../lib/registry.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const committed = Object.fromEntries(
  Object.entries(DASHBOARD_FILES).map(([key, file]) => [
    key,
    JSON.parse(readFileSync(join(root, file), 'utf8')) as Dashboard,
  ]),
) as Record<keyof typeof DASHBOARD_FILES, Dashboard>;

const panelsOf = (dashboard: Dashboard) => (dashboard.panels ?? []) as Panel[];
const targetsOf = (panel: Panel) => (panel.targets ?? []) as InfluxTarget[];

/** Variables Grafana itself provides to InfluxQL queries and aliases. */
const BUILT_IN = new Set(['timeFilter', '__interval', 'tag_server']);

describe('dashboards', () => {
  it('are committed exactly as grafana/dashboards.ts builds them (else: npm run dashboards:build)', () => {
    assert.deepEqual(committed, JSON.parse(JSON.stringify(buildDashboards())));
  });

  for (const [key, dashboard] of Object.entries(committed)) {
    describe(key, () => {
      it('has a fixed uid, a title and the pinned Grafana schema version', () => {
        assert.equal(dashboard.uid, DASHBOARD_UIDS[key as keyof typeof DASHBOARD_UIDS]);
        assert.ok(dashboard.title && dashboard.title.length > 0);
        assert.equal(dashboard.schemaVersion, SCHEMA_VERSION);
        assert.equal(dashboard.id, undefined, 'provisioned dashboards carry no instance id');
        assert.ok(dashboard.time?.from.startsWith('now-'), 'a relative range that shows the last run');
      });

      it('numbers its panels uniquely and lays them on the 24-column grid without overlap', () => {
        const panels = panelsOf(dashboard);
        assert.ok(panels.length > 0);
        assert.equal(new Set(panels.map((p) => p.id)).size, panels.length);
        const cells = new Set<string>();
        for (const { gridPos, title } of panels) {
          assert.ok(gridPos, `${title} has a gridPos`);
          assert.ok(gridPos.x >= 0 && gridPos.w > 0 && gridPos.x + gridPos.w <= 24, `${title} fits the grid`);
          for (let x = gridPos.x; x < gridPos.x + gridPos.w; x++) {
            for (let y = gridPos.y; y < gridPos.y + gridPos.h; y++) {
              assert.ok(!cells.has(`${x},${y}`), `${title} overlaps another panel`);
              cells.add(`${x},${y}`);
            }
          }
        }
      });

      it('uses known panel types, the provisioned datasource and unique refIds', () => {
        for (const panel of panelsOf(dashboard)) {
          assert.ok(PANEL_TYPES.includes(panel.type as never), `${panel.title}: type ${panel.type}`);
          assert.deepEqual(panel.datasource, DATASOURCE);
          assert.ok(panel.description, `${panel.title} says which question it answers`);
          const targets = targetsOf(panel);
          assert.ok(targets.length > 0, `${panel.title} has queries`);
          assert.equal(new Set(targets.map((t) => t.refId)).size, targets.length, `${panel.title} refIds`);
          for (const target of targets) {
            assert.ok(target.refId);
            assert.deepEqual(target.datasource, DATASOURCE);
            assert.equal(target.rawQuery, true);
            assert.ok(['table', 'time_series'].includes(target.resultFormat));
          }
        }
      });

      it('defines the scenario and server variables from InfluxDB tag values', () => {
        const variables = dashboard.templating?.list ?? [];
        assert.deepEqual(
          variables.map((v) => v.name),
          [TAGS.scenario, TAGS.server],
        );
        for (const variable of variables) {
          assert.equal(variable.type, 'query');
          assert.deepEqual(variable.datasource, DATASOURCE);
          assert.match(
            String(variable.query),
            new RegExp(`^SHOW TAG VALUES .* WITH KEY = "${variable.name}"$`),
          );
          assert.ok(variable.multi && variable.includeAll);
        }
      });

      it('reads only registry metrics, filters by defined variables, and keeps /stats polls out', () => {
        const variables = new Set((dashboard.templating?.list ?? []).map((v) => v.name));
        const measurements = new Set<string>(Object.values(METRICS));
        for (const panel of panelsOf(dashboard)) {
          for (const { query, alias } of targetsOf(panel)) {
            const from = /FROM "([^"]+)"/.exec(query)?.[1] ?? '';
            assert.ok(measurements.has(from), `${panel.title}: ${from} is not in METRICS`);
            assert.match(query, /\$timeFilter/, `${panel.title}: honours the time range`);
            for (const [, name] of `${query} ${alias ?? ''}`.matchAll(/\$(\w+)/g)) {
              assert.ok(variables.has(name ?? '') || BUILT_IN.has(name ?? ''), `${panel.title}: $${name}`);
            }
            if (from.startsWith('http_req')) {
              assert.ok(query.includes(`"${TAGS.name}" = '${REQUEST_NAMES.io}'`), `${panel.title}: /io only`);
            }
          }
        }
      });

      it('transforms only fields its queries or earlier transformations produce', () => {
        for (const panel of panelsOf(dashboard)) {
          const known = new Set<string>([TAGS.scenario]);
          for (const { query } of targetsOf(panel)) {
            for (const [, alias] of query.matchAll(/ AS "([^"]+)"/g)) known.add(alias ?? '');
          }
          for (const t of (panel.transformations ?? []) as Transformation[]) {
            if (t.id === 'joinByField') assert.ok(known.has(t.options.byField));
            if (t.id === 'calculateField') {
              const inputs =
                t.options.mode === 'binary'
                  ? [t.options.binary.left.matcher.options, t.options.binary.right.matcher.options]
                  : t.options.reduce.include;
              for (const name of inputs) assert.ok(known.has(name), `${panel.title}: ${name}`);
              known.add(t.options.alias);
            }
            if (t.id === 'filterFieldsByName') {
              for (const name of t.options.include.names)
                assert.ok(known.has(name), `${panel.title}: ${name}`);
            }
            if (t.id === 'organize') {
              for (const name of Object.keys(t.options.indexByName))
                assert.ok(known.has(name), `${panel.title}: ${name}`);
            }
          }
        }
      });
    });
  }

  it('have distinct uids', () => {
    const uids = Object.values(committed).map((d) => d.uid);
    assert.equal(new Set(uids).size, uids.length);
  });
});
