import * as common from '@grafana/grafana-foundation-sdk/common';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { anyOfTag, lastValue, parcoursDashboard, seriesQuery, tableQuery, tagValues } from './parcours.js';
import { influxdb } from '../influxql.js';

const filter = 'WHERE $timeFilter AND "panel" =~ /^$panel$/';

/** The "Panels & communities" dashboard, json/panels-communities.json. */
export function panelsCommunities(): Dashboard {
  return parcoursDashboard('panels-communities', 'Panels & communities', {
    description:
      'How representative each panel stays (measurement `panel_health`, written at each draw, refresh and hour): members, the largest margin gap to the universe, the R-indicator, and who left and joined over 30 days.',
    from: 'now-90d',
    refresh: '5m',
  })
    .withVariable(anyOfTag('panel', 'Panel', tagValues('panel_health', 'panel')))
    .withPanel(
      new stat.PanelBuilder()
        .id(1)
        .title('Members')
        .description("Each panel's members at its last health point.")
        .datasource(influxdb)
        .gridPos({ x: 0, y: 0, w: 6, h: 5 })
        .withTarget(seriesQuery(`SELECT last("size") FROM "panel_health" ${filter} GROUP BY "panel"`, '$tag_panel'))
        .reduceOptions(lastValue())
        .colorMode(common.BigValueColorMode.Value)
        .graphMode(common.BigValueGraphMode.None),
    )
    .withPanel(
      new stat.PanelBuilder()
        .id(2)
        .title('R-indicator')
        .description('1 − 2·S(ρ̂), ρ̂ the propensity of being a member given the panel’s variables: 1 is representative, lower is less so.')
        .datasource(influxdb)
        .gridPos({ x: 6, y: 0, w: 6, h: 5 })
        .withTarget(seriesQuery(`SELECT last("r_indicator") FROM "panel_health" ${filter} GROUP BY "panel"`, '$tag_panel'))
        .reduceOptions(lastValue())
        .decimals(3)
        .colorMode(common.BigValueColorMode.Value)
        .graphMode(common.BigValueGraphMode.None),
    )
    .withPanel(
      new stat.PanelBuilder()
        .id(3)
        .title('Largest margin gap')
        .description('The largest gap, in percentage points, between a level’s share of the panel and of the universe.')
        .datasource(influxdb)
        .gridPos({ x: 12, y: 0, w: 6, h: 5 })
        .withTarget(seriesQuery(`SELECT last("max_margin_gap_points") FROM "panel_health" ${filter} GROUP BY "panel"`, '$tag_panel'))
        .reduceOptions(lastValue())
        .decimals(2)
        .unit('pt')
        .colorMode(common.BigValueColorMode.Value)
        .graphMode(common.BigValueGraphMode.None),
    )
    .withPanel(
      new stat.PanelBuilder()
        .id(4)
        .title('Churn over 30 days')
        .description('Members who left in the last 30 days over the members 30 days ago.')
        .datasource(influxdb)
        .gridPos({ x: 18, y: 0, w: 6, h: 5 })
        .withTarget(seriesQuery(`SELECT last("churn_rate") FROM "panel_health" ${filter} GROUP BY "panel"`, '$tag_panel'))
        .reduceOptions(lastValue())
        .unit(units.PercentUnit)
        .colorMode(common.BigValueColorMode.Value)
        .graphMode(common.BigValueGraphMode.None),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .id(5)
        .title('Members over time')
        .datasource(influxdb)
        .gridPos({ x: 0, y: 5, w: 12, h: 8 })
        .withTarget(seriesQuery(`SELECT last("size") FROM "panel_health" ${filter} GROUP BY time($__interval), "panel" fill(previous)`, '$tag_panel'))
        .min(0),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .id(6)
        .title('Representativeness over time')
        .description('The R-indicator (left axis, 0–1) and the largest margin gap in points.')
        .datasource(influxdb)
        .gridPos({ x: 12, y: 5, w: 12, h: 8 })
        .withTarget(
          seriesQuery(
            `SELECT last("r_indicator") AS "R-indicator", last("max_margin_gap_points") AS "largest gap (pt)" FROM "panel_health" ${filter} GROUP BY time($__interval), "panel" fill(previous)`,
            '$tag_panel $col',
          ),
        ),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .id(7)
        .title('Left and joined over 30 days')
        .datasource(influxdb)
        .gridPos({ x: 0, y: 13, w: 12, h: 8 })
        .withTarget(
          seriesQuery(
            `SELECT last("left_30d") AS "left", last("joined_30d") AS "joined" FROM "panel_health" ${filter} GROUP BY time($__interval), "panel" fill(previous)`,
            '$tag_panel $col',
          ),
        )
        .min(0),
    )
    .withPanel(
      new table.PanelBuilder()
        .id(8)
        .title('Panels now')
        .description('Each panel at its last health point.')
        .datasource(influxdb)
        .gridPos({ x: 12, y: 13, w: 12, h: 8 })
        .withTarget(
          tableQuery(
            `SELECT last("size") AS "members", last("universe") AS "universe", last("r_indicator") AS "R-indicator", last("max_margin_gap_points") AS "largest gap (pt)", last("churn_rate") AS "churn" FROM "panel_health" ${filter} GROUP BY "panel"`,
          ),
        )
        .overrideByName('churn', [{ id: 'unit', value: units.PercentUnit }]),
    )
    .build();
}
