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
  ASYNC_BUILTINS,
  BUILTIN_TARGETS,
  buildDashboards,
  DASHBOARD_FILES,
  DASHBOARD_UIDS,
  DATASOURCE,
  type InfluxTarget,
  MEASURED_ROUTES,
  PANEL_TYPES,
  REFERENCE_OPTIONS,
  SCHEMA_VERSION,
  type Transformation,
  VARIABLES,
} from '../grafana/dashboards.ts';
import { DEFAULT_REFERENCE, METRICS, SWEEP, TAGS, TARGET_NAMES, TARGETS } from '../lib/registry.ts';

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

/** The variables of each dashboard, in order (a query may use the ones before it). */
const EXPECTED_VARIABLES: Record<keyof typeof DASHBOARD_FILES, string[]> = {
  speedup: [VARIABLES.testid, TAGS.scenario, TAGS.server, VARIABLES.reference],
  cpu: [VARIABLES.testid, TAGS.scenario, TAGS.server],
  sweep: [VARIABLES.testid, TAGS.server],
};

const RUN_FILTER = `"${TAGS.testid}" =~ /^$${VARIABLES.testid}$/`;

describe('dashboards', () => {
  it('are the speedup, CPU and sweep dashboards', () => {
    assert.deepEqual(Object.keys(committed), ['speedup', 'cpu', 'sweep']);
    assert.equal(DASHBOARD_UIDS.sweep, 'io-sweep');
    assert.equal(committed.sweep.title, 'IO benchmark — concurrency sweep');
  });

  it('are committed exactly as grafana/dashboards.ts builds them (else: npm run dashboards:build)', () => {
    assert.deepEqual(committed, JSON.parse(JSON.stringify(buildDashboards())));
  });

  for (const [key, dashboard] of Object.entries(committed)) {
    describe(key, () => {
      it('has a fixed uid, a title and the pinned Grafana schema version', () => {
        assert.equal(dashboard.uid, DASHBOARD_UIDS[key as keyof typeof DASHBOARD_UIDS]);
        assert.ok(dashboard.title && dashboard.title.length > 0, 'a title');
        assert.equal(dashboard.schemaVersion, SCHEMA_VERSION);
        assert.equal(dashboard.id, undefined, 'provisioned dashboards carry no instance id');
        assert.ok(dashboard.time?.from.startsWith('now-'), 'a relative range that shows the last run');
      });

      it('numbers its panels uniquely and lays them on the 24-column grid without overlap', () => {
        const panels = panelsOf(dashboard);
        assert.ok(panels.length > 0, 'panels');
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
            assert.ok(target.refId, 'a refId');
            assert.deepEqual(target.datasource, DATASOURCE);
            assert.equal(target.rawQuery, true);
            assert.ok(['table', 'time_series'].includes(target.resultFormat));
          }
        }
      });

      it('defines its variables: the run (newest first), tag filters of that run, the reference', () => {
        const variables = dashboard.templating?.list ?? [];
        assert.deepEqual(
          variables.map((v) => v.name),
          EXPECTED_VARIABLES[key as keyof typeof EXPECTED_VARIABLES],
        );
        for (const variable of variables) {
          if (variable.name === VARIABLES.reference) {
            // A custom variable over the sync built-ins, default the registry's reference.
            assert.equal(variable.type, 'custom');
            assert.deepEqual(REFERENCE_OPTIONS, ['express', 'flask']);
            assert.equal(variable.query, REFERENCE_OPTIONS.join(','));
            assert.deepEqual((variable.current as { value?: string }).value, DEFAULT_REFERENCE);
            assert.ok(!variable.multi && !variable.includeAll, 'one reference');
            continue;
          }
          assert.equal(variable.type, 'query');
          assert.deepEqual(variable.datasource, DATASOURCE);
          assert.match(
            String(variable.query),
            new RegExp(`^SHOW TAG VALUES (FROM "[^"]+" )?WITH KEY = "${variable.name}"( WHERE .+)?$`),
          );
          if (variable.name === VARIABLES.testid) {
            // Single run; no current value, so Grafana selects the first: newest, as ids are timestamps.
            assert.ok(!variable.multi && !variable.includeAll, 'one run at a time');
            assert.equal(variable.sort, 2, 'alphabetical, descending');
            assert.deepEqual(variable.current, {});
            const sweep = `"${TAGS.scenario}" ${key === 'sweep' ? '=' : '!='} '${SWEEP.scenario}'`;
            assert.ok(String(variable.query).includes(sweep), `${key}: only runs it can show`);
          } else {
            assert.ok(variable.multi && variable.includeAll, `${variable.name}: multi-select with All`);
            assert.ok(
              String(variable.query).includes(RUN_FILTER),
              `${variable.name}: the selected run's values`,
            );
          }
        }
      });

      it('filters every query by the selected run', () => {
        for (const panel of panelsOf(dashboard)) {
          for (const { query, refId } of targetsOf(panel))
            assert.ok(query.includes(`${RUN_FILTER} AND $timeFilter`), `${panel.title} ${refId}`);
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
              assert.ok(query.includes(MEASURED_ROUTES), `${panel.title}: measured routes only`);
            }
            if (key === 'sweep') {
              assert.ok(query.includes(`"${TAGS.scenario}" = '${SWEEP.scenario}'`), `${panel.title}: sweep`);
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
            if (t.id === 'joinByField') assert.ok(known.has(t.options.byField), `${panel.title}: join key`);
            if (t.id === 'joinByLabels') {
              // Labels are the tags the series are grouped by; the columns are the server names.
              for (const { query, resultFormat } of targetsOf(panel)) {
                assert.equal(resultFormat, 'time_series', `${panel.title}: labelled series`);
                for (const label of [t.options.value, ...t.options.join])
                  assert.match(query, new RegExp(`GROUP BY .*"${label}"`), `${panel.title}: ${label}`);
              }
              known.clear();
              for (const label of t.options.join) known.add(label);
            }
            if (t.id === 'convertFieldType')
              for (const c of t.options.conversions)
                assert.ok(known.has(c.targetField), `${panel.title}: convert`);
            if (t.id === 'sortBy')
              for (const c of t.options.sort) assert.ok(known.has(c.field), `${panel.title}: sort`);
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

  it('compute ratios over the reference for every built-in target, never a target over itself', () => {
    const ratioPanels = Object.values(committed)
      .flatMap(panelsOf)
      .filter((p) => (p.transformations ?? []).some((t) => t.id === 'calculateField'));
    assert.ok(ratioPanels.length >= 5, 'the stat, speedup and CPU-per-request panels');
    for (const panel of ratioPanels) {
      const transformations = (panel.transformations ?? []) as Transformation[];
      const ratios = transformations.flatMap((t) =>
        t.id === 'calculateField' && t.options.mode === 'binary' ? [t.options.alias] : [],
      );
      const stat = panel.type === 'stat';
      assert.deepEqual(ratios, stat ? ASYNC_BUILTINS : BUILTIN_TARGETS, panel.title);
      for (const target of targetsOf(panel)) {
        const server = /"server" = '([^']+)'/.exec(target.query)?.[1];
        const reference = target.query.includes(`"server" =~ /^$${VARIABLES.reference}$/`);
        if (!server) continue;
        assert.ok(!reference, `${panel.title} ${target.refId}: one server`);
        assert.ok(TARGET_NAMES.includes(server as never), `${panel.title}: ${server} is built in`);
        // On the speedup dashboard a target is not compared with itself when it is the reference.
        const overReference = targetsOf(panel).some((t) =>
          t.query.includes(`=~ /^$${VARIABLES.reference}$/`),
        );
        if (overReference && !stat)
          assert.ok(
            target.query.includes(`!~ /^$${VARIABLES.reference}$/`),
            `${panel.title} ${target.refId}`,
          );
      }
    }
    assert.deepEqual(
      ASYNC_BUILTINS,
      TARGET_NAMES.filter((n) => TARGETS[n].model === 'async'),
    );
  });

  it('have distinct uids', () => {
    const uids = Object.values(committed).map((d) => d.uid);
    assert.equal(new Set(uids).size, uids.length);
  });
});
