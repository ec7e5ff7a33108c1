import { measurements } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { checkDashboard, checkDashboards, listDashboardQueries, readShippedDashboards, substitute } from '../src/index.js';

const ds = { type: 'influxdb', uid: 'parcours-influxdb' };
const tagValues = (key: string, where = '') => `SHOW TAG VALUES FROM "telemetry" WITH KEY = "${key}"${where}`;

function sample() {
  return {
    uid: 'parcours-sample',
    title: 'Sample',
    schemaVersion: 39,
    templating: {
      list: [
        { name: 'device_type', type: 'query', datasource: ds, query: tagValues('device_type') },
        { name: 'device', type: 'query', datasource: ds, query: tagValues('device', ' WHERE "device_type" =~ /^$device_type$/') },
      ],
    },
    panels: [
      {
        id: 1,
        type: 'stat',
        title: 'A',
        datasource: ds as typeof ds | undefined,
        gridPos: { x: 0, y: 0, w: 12, h: 4 },
        targets: [
          {
            refId: 'A',
            rawQuery: true,
            resultFormat: 'time_series',
            query: 'SELECT count("seq") FROM "telemetry" WHERE $timeFilter AND "device" =~ /^$device$/',
          },
        ],
      },
      {
        id: 2,
        type: 'timeseries',
        title: 'B',
        datasource: ds as typeof ds | undefined,
        gridPos: { x: 12, y: 0, w: 12, h: 4 },
        targets: [
          {
            refId: 'A',
            rawQuery: true,
            resultFormat: 'time_series',
            // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own variable syntax, not a template literal
            query: 'SELECT mean("power_w") FROM "telemetry" WHERE $__timeFilter GROUP BY time(${__interval}), "device"',
          },
        ],
      },
    ],
  };
}

describe('checkDashboard', () => {
  it('passes a sound dashboard', () => {
    expect(checkDashboard(sample())).toEqual([]);
  });

  it('reports an overlap, an undefined variable and a missing datasource together', () => {
    const broken = sample();
    broken.panels[1]!.gridPos = { x: 8, y: 2, w: 16, h: 4 };
    broken.panels[1]!.targets[0]!.query += ' AND "subject" =~ /^$subject$/';
    broken.panels[0]!.datasource = undefined;
    expect(checkDashboard(broken)).toEqual([
      'panel 1 "A": its datasource is not { type: "influxdb", uid: "parcours-influxdb" }',
      'panel 2 "B": overlaps panel 1',
      'panel 2 "B": uses $subject, which is not defined',
    ]);
  });

  it('reports duplicate ids, the grid edge, another datasource, a query that is not raw and a variable used before it is defined', () => {
    const broken = sample();
    broken.panels[1]!.id = 1;
    broken.panels[1]!.gridPos = { x: 14, y: 0, w: 12, h: 4 };
    broken.panels[1]!.datasource = { type: 'influxdb', uid: 'someone-else' };
    (broken.panels[0]!.targets[0] as { rawQuery: boolean }).rawQuery = false;
    broken.templating.list.reverse();
    expect(checkDashboard(broken)).toEqual([
      'variable device: uses $device_type, which is not defined before it',
      'panel 1 "A" targets 0.rawQuery: Invalid input: expected true',
      'panel 1 "B": duplicate id',
      'panel 1 "B": wider than the 24-column grid',
      'panel 1 "B": its datasource is not { type: "influxdb", uid: "parcours-influxdb" }',
    ]);
  });

  it('reports what is not a Parcours dashboard at all', () => {
    expect(checkDashboard({ ...sample(), uid: 'mine', panels: [] })).toEqual([
      'dashboard uid: Invalid string: must match pattern /^parcours-[a-z0-9-]+$/',
      'dashboard panels: Too small: expected array to have >=1 items',
    ]);
  });
});

describe('checkDashboards', () => {
  it('reports a uid shared by two files', () => {
    expect(
      checkDashboards([
        { file: 'a.json', json: sample() },
        { file: 'b.json', json: sample() },
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
      'journeys-paths.json',
      'subjects.json',
      'usage-sessions.json',
    ]);
    expect(checkDashboards(shipped)).toEqual([]);
  });

  it('use the time range in every query, and filter every per-device query on the four tag variables', () => {
    for (const { json } of shipped) {
      for (const { title, query } of listDashboardQueries(json)) {
        expect(query, title).toContain('$timeFilter');
        if (!/FROM "(telemetry|usage_event|usage_session)"/.test(query)) continue;
        for (const tag of ['device_type', 'device', 'subject_type', 'subject']) expect(query, title).toContain(`"${tag}" =~ /^$${tag}$/`);
      }
    }
  });

  it('query only the measurements Parcours writes (docs/design.md)', () => {
    const queried = new Set(shipped.flatMap((d) => listDashboardQueries(d.json)).flatMap((q) => [...q.query.matchAll(/FROM "(\w+)"/g)].map((m) => m[1]!)));
    const known: string[] = Object.values(measurements);
    expect([...queried].filter((m) => !known.includes(m))).toEqual([]);
    expect([...queried].sort()).toEqual([
      'activity',
      'funnel',
      'journey',
      'lifecycle',
      'pipeline',
      'retention',
      'telemetry',
      'transition',
      'usage_event',
      'usage_hour',
      'usage_session',
      'usage_share',
    ]);
  });
});
