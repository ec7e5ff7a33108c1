import { describe, expect, it } from 'vitest';
import { checkDashboard, dashboardSchema, listDashboardQueries, readShippedDashboards, substitute } from '../src/index.js';

const ds = { type: 'influxdb', uid: 'parcours-influxdb' };
function sample() {
  return {
    uid: 'parcours-sample', title: 'Sample', schemaVersion: 39,
    templating: { list: [{ name: 'device', type: 'query', datasource: ds, query: 'SHOW TAG VALUES FROM "telemetry" WITH KEY = "device"' }] },
    panels: [
      { id: 1, type: 'stat', title: 'A', datasource: ds, gridPos: { x: 0, y: 0, w: 12, h: 4 }, targets: [{ refId: 'A', rawQuery: true, resultFormat: 'time_series', query: 'SELECT count("seq") FROM "telemetry" WHERE $timeFilter AND "device" =~ /^$device$/' }] },
      { id: 2, type: 'timeseries', title: 'B', datasource: ds, gridPos: { x: 12, y: 0, w: 12, h: 4 }, targets: [{ refId: 'A', rawQuery: true, resultFormat: 'time_series', query: 'SELECT mean("power_w") FROM "telemetry" WHERE $timeFilter GROUP BY time($__interval)' }] },
    ],
  };
}

describe('checkDashboard', () => {
  it('passes a sound dashboard', () => {
    expect(checkDashboard(sample())).toEqual([]);
  });

  it('reports overlap, the grid edge, undefined variables, duplicate ids and a missing datasource', () => {
    const broken = sample();
    broken.panels[1]!.gridPos = { x: 8, y: 2, w: 20, h: 4 };
    broken.panels[1]!.id = 1;
    broken.panels[1]!.targets[0]!.query += ' AND "subject" =~ /^$subject$/';
    expect(checkDashboard(broken)).toEqual([
      'panel 1 "B": duplicate id',
      'panel 1 "B": wider than the 24-column grid',
      'panel 1 "B": overlaps panel 1',
      'panel 1 "B": uses $subject, which is not defined',
    ]);
    const noDatasource = sample() as { panels: Record<string, unknown>[] };
    delete noDatasource.panels[0]!.datasource;
    expect(checkDashboard(noDatasource)).toEqual([expect.stringMatching(/^panels\.0\.datasource: /)]);
  });
});

describe('substitute', () => {
  it('replaces the time filter, the interval and variables as Grafana does for InfluxQL', () => {
    const query = 'SELECT mean("x") FROM "t" WHERE $timeFilter AND "device" =~ /^$device$/ GROUP BY time($__interval)';
    expect(substitute(query, { from: 1000, to: 2000, interval: '1m', vars: { device: ['tv-1', 'cm.2'] } })).toBe(
      'SELECT mean("x") FROM "t" WHERE time >= 1000ms and time <= 2000ms AND "device" =~ /^(tv-1|cm\\.2)$/ GROUP BY time(1m)',
    );
  });
});

describe('the shipped dashboards', () => {
  const shipped = readShippedDashboards();

  it.each(shipped.map((d) => [d.file, d.json] as const))('%s is sound', (_file, json) => {
    expect(checkDashboard(json)).toEqual([]);
  });

  it('have unique uids and at least one shows stored telemetry', () => {
    const dashboards = shipped.map((d) => dashboardSchema.parse(d.json));
    expect(new Set(dashboards.map((d) => d.uid)).size).toBe(dashboards.length);
    expect(dashboards.flatMap(listDashboardQueries).some((q) => q.query.includes('FROM "telemetry"'))).toBe(true);
  });
});
