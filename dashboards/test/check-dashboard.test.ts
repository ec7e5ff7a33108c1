import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { measurements } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { anyOfTag, parcoursDashboard, seriesQuery, tagValues } from '../src/boards/parcours.js';
import { influxdb, type InfluxQLQuery } from '../src/influxql.js';
import { panelsOf } from '../src/queries.js';
import { checkDashboard, checkDashboards, listDashboardQueries, listDashboardVariables, readShippedDashboards, substitute } from '../src/index.js';

function sample(): dashboard.Dashboard {
  return parcoursDashboard('sample', 'Sample', { description: 'Two panels.', from: 'now-24h', refresh: '1m' })
    .withVariable(anyOfTag('device_type', 'Device type', tagValues('telemetry', 'device_type')))
    .withVariable(anyOfTag('device', 'Device', tagValues('telemetry', 'device', 'device_type')))
    .withPanel(
      new stat.PanelBuilder()
        .id(1)
        .title('A')
        .datasource(influxdb)
        .gridPos({ x: 0, y: 0, w: 12, h: 4 })
        .withTarget(seriesQuery('SELECT count("seq") FROM "telemetry" WHERE $timeFilter AND "device" =~ /^$device$/')),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .id(2)
        .title('B')
        .datasource(influxdb)
        .gridPos({ x: 12, y: 0, w: 12, h: 4 })
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own variable syntax, not a template literal
        .withTarget(seriesQuery('SELECT mean("power_w") FROM "telemetry" WHERE $__timeFilter GROUP BY time(${__interval}), "device"')),
    )
    .build();
}

/** The sample's two panels and their first queries, to break. */
function parts(d: dashboard.Dashboard) {
  const [a, b] = panelsOf(d) as [dashboard.Panel, dashboard.Panel];
  return { a, b, queryA: a.targets![0] as InfluxQLQuery, queryB: b.targets![0] as InfluxQLQuery };
}

describe('checkDashboard', () => {
  it('passes a sound dashboard', () => {
    expect(checkDashboard(sample())).toEqual([]);
  });

  it('reports an overlap, an undefined variable and a missing datasource together', () => {
    const broken = sample();
    const { a, b, queryB } = parts(broken);
    b.gridPos = { x: 8, y: 2, w: 16, h: 4 };
    queryB.query += ' AND "subject" =~ /^$subject$/';
    a.datasource = undefined;
    expect(checkDashboard(broken)).toEqual([
      'panel 1 "A": its datasource is not { type: "influxdb", uid: "parcours-influxdb" }',
      'panel 2 "B": overlaps panel 1',
      'panel 2 "B": uses $subject, which is not defined',
    ]);
  });

  it('reports duplicate ids, the grid edge, another datasource, a query that is not raw and a variable used before it is defined', () => {
    const broken = sample();
    const { b, queryA } = parts(broken);
    b.id = 1;
    b.gridPos = { x: 14, y: 0, w: 12, h: 4 };
    b.datasource = { type: 'influxdb', uid: 'someone-else' };
    (queryA as { rawQuery: boolean }).rawQuery = false;
    broken.templating.list!.reverse();
    expect(checkDashboard(broken)).toEqual([
      'variable device: uses $device_type, which is not defined before it',
      'panel 1 "A" targets 0 rawQuery: Invalid input: expected true',
      'panel 1 "B": duplicate id',
      'panel 1 "B": wider than the 24-column grid',
      'panel 1 "B": its datasource is not { type: "influxdb", uid: "parcours-influxdb" }',
    ]);
  });

  it('reports a variable that is not a query for tag values', () => {
    const broken = sample();
    broken.templating.list!.push(new dashboard.CustomVariableBuilder('Period').values('day,week').build());
    expect(checkDashboard(broken)).toEqual([
      'variable Period: not a name of lower-case letters, digits and _',
      'variable Period: a custom variable, not a query',
      'variable Period: its datasource is not { type: "influxdb", uid: "parcours-influxdb" }',
      'variable Period: its query is not an InfluxQL SHOW TAG VALUES query',
    ]);
  });

  it('reports what is not a Parcours dashboard at all', () => {
    expect(checkDashboard({ ...sample(), uid: 'mine', panels: [] })).toEqual([
      'dashboard uid mine: does not match /^parcours-[a-z0-9-]+$/',
      'dashboard: no panel',
    ]);
  });
});

describe('listDashboardQueries and listDashboardVariables', () => {
  it('give the raw queries and the variables as the end-to-end test runs them', () => {
    expect(listDashboardQueries(sample()).map((q) => [q.panelId, q.title, q.refId, q.resultFormat])).toEqual([
      [1, 'A', 'A', 'time_series'],
      [2, 'B', 'A', 'time_series'],
    ]);
    expect(listDashboardVariables(sample())).toEqual([
      { name: 'device_type', query: 'SHOW TAG VALUES FROM "telemetry" WITH KEY = "device_type"', multi: true, current: ['$__all'] },
      {
        name: 'device',
        query: 'SHOW TAG VALUES FROM "telemetry" WITH KEY = "device" WHERE "device_type" =~ /^$device_type$/',
        multi: true,
        current: ['$__all'],
      },
    ]);
  });

  it('refuse a target that is not raw InfluxQL', () => {
    const broken = sample();
    parts(broken).queryA.query = '';
    expect(() => listDashboardQueries(broken)).toThrow();
  });
});

describe('checkDashboards', () => {
  it('reports a uid shared by two files', () => {
    expect(
      checkDashboards([
        { file: 'a.json', dashboard: sample() },
        { file: 'b.json', dashboard: sample() },
      ]),
    ).toEqual(['b.json: uid parcours-sample is already the uid of a.json']);
  });
});

describe('substitute', () => {
  const range = { from: 1000, to: 2000, interval: '1m' };

  it('replaces the time filter, the interval and multi-value variables as Grafana does for InfluxQL', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own variable syntax, not a template literal
    const query = 'SELECT mean("x") FROM "t" WHERE $timeFilter AND "device" =~ /^$device$/ AND "subject" =~ /^${subject:regex}$/ GROUP BY time($__interval)';
    expect(substitute(query, { ...range, vars: { device: ['tv-1', 'cm.2'], subject: ['a/b'] } })).toBe(
      'SELECT mean("x") FROM "t" WHERE time >= 1000ms and time <= 2000ms AND "device" =~ /^(tv-1|cm\\.2)$/ AND "subject" =~ /^a\\/b$/ GROUP BY time(1m)',
    );
  });

  it('inserts a single-value variable as it is, and knows the other builtins', () => {
    expect(substitute(`"device" = '$device' $__interval_ms $interval [[device]] $__from-$__to`, { ...range, vars: { device: 'cm.2' } })).toBe(
      `"device" = 'cm.2' 60000 1m cm.2 1000-2000`,
    );
  });

  it('refuses a variable without a value', () => {
    expect(() => substitute('WHERE "device" =~ /^$device$/', { ...range, vars: {} })).toThrow('$device has no value');
  });
});

describe('the shipped dashboards', () => {
  const shipped = readShippedDashboards();

  it('are sound, with unique uids', () => {
    expect(shipped.map((d) => d.file)).toEqual([
      'device-telemetry.json',
      'fleet-pipeline.json',
      'funnels-retention.json',
      'in-the-moment-surveys.json',
      'journeys-paths.json',
      'panels-communities.json',
      'subjects.json',
      'usage-sessions.json',
      'weighting-quality.json',
    ]);
    expect(checkDashboards(shipped)).toEqual([]);
  });

  it('use the time range in every query, and filter every per-device query on the four tag variables', () => {
    for (const { dashboard } of shipped) {
      for (const { title, query } of listDashboardQueries(dashboard)) {
        expect(query, title).toContain('$timeFilter');
        if (!/FROM "(telemetry|usage_event|usage_session)"/.test(query)) continue;
        for (const tag of ['device_type', 'device', 'subject_type', 'subject']) expect(query, title).toContain(`"${tag}" =~ /^$${tag}$/`);
      }
    }
  });

  it('query only the measurements Parcours writes (docs/design.md)', () => {
    const queried = new Set(shipped.flatMap((d) => listDashboardQueries(d.dashboard)).flatMap((q) => [...q.query.matchAll(/FROM "(\w+)"/g)].map((m) => m[1]!)));
    const known: string[] = Object.values(measurements);
    expect([...queried].filter((m) => !known.includes(m))).toEqual([]);
    expect([...queried].sort()).toEqual([
      'activity',
      'funnel',
      'journey',
      'lifecycle',
      'panel_health',
      'pipeline',
      'retention',
      'survey_answer',
      'survey_prompt',
      'telemetry',
      'transition',
      'usage_event',
      'usage_hour',
      'usage_session',
      'usage_share',
      'weighted_activity',
      'weighting',
      'weighting_margin',
      'weighting_weights',
    ]);
  });
});
