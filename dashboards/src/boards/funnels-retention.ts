import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { lastValue, oneOfTag, parcoursDashboard, seriesQuery, tableQuery, tagValues } from './parcours.js';
import { groupingToMatrix } from '../transformations.js';
import { influxdb } from '../influxql.js';

/** The "Funnels & retention" dashboard, json/funnels-retention.json. */
export function funnelsRetention(): Dashboard {
  return parcoursDashboard('funnels-retention', 'Funnels & retention', {
    description:
      'Funnels declared in `analytics.funnels` (measurement `funnel`, per entry day and step), weekly retention cohorts (`retention`) and lifecycle (`lifecycle`), for individuals or collectives.',
    from: 'now-90d',
    refresh: '5m',
  })
    .withVariable(oneOfTag('funnel', 'Funnel', tagValues('funnel', 'funnel')))
    .withVariable(oneOfTag('kind', 'Subjects', tagValues('lifecycle', 'kind')))
    .withPanel(
      new bargauge.PanelBuilder()
        .id(1)
        .title('Subjects reaching each step')
        .description(
          'Subjects who entered the funnel in the time range and reached each step within its window (summed per entry day: a subject entering on two days counts twice).',
        )
        .datasource(influxdb)
        .gridPos({ x: 0, y: 0, w: 12, h: 8 })
        .withTarget(
          seriesQuery(
            'SELECT sum("reached") FROM "funnel" WHERE $timeFilter AND "funnel" =~ /^$funnel$/ GROUP BY "step", "step_type"',
            '$tag_step. $tag_step_type',
          ),
        )
        .reduceOptions(lastValue())
        .orientation(common.VizOrientation.Horizontal)
        .displayMode(common.BarGaugeDisplayMode.Basic),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .id(2)
        .title('Conversion from the entry, per day')
        .description('Per entry day, the share of the subjects who entered that reached each step.')
        .datasource(influxdb)
        .gridPos({ x: 12, y: 0, w: 12, h: 8 })
        .withTarget(
          seriesQuery(
            'SELECT mean("conversion_from_start") FROM "funnel" WHERE $timeFilter AND "funnel" =~ /^$funnel$/ GROUP BY time(1d), "step" fill(none)',
            'step $tag_step',
          ),
        )
        .unit(units.PercentUnit)
        .min(0)
        .max(1),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .id(3)
        .title('Subjects entering per day')
        .description('How many subjects started the funnel (reached step 1) each day.')
        .datasource(influxdb)
        .gridPos({ x: 0, y: 8, w: 12, h: 7 })
        .withTarget(
          seriesQuery(
            'SELECT sum("reached") FROM "funnel" WHERE $timeFilter AND "funnel" =~ /^$funnel$/ AND "step" = \'1\' GROUP BY time(1d) fill(0)',
            'entered',
          ),
        )
        .drawStyle(common.GraphDrawStyle.Bars)
        .fillOpacity(60),
    )
    .withPanel(
      new table.PanelBuilder()
        .id(4)
        .title('Median time from the previous step')
        .description('Per step, the median over entry days of the median time subjects took from the previous step.')
        .datasource(influxdb)
        .gridPos({ x: 12, y: 8, w: 12, h: 7 })
        .withTarget(
          tableQuery(
            'SELECT median("median_from_previous_s") AS "median_s" FROM "funnel" WHERE $timeFilter AND "funnel" =~ /^$funnel$/ GROUP BY "step", "step_type"',
          ),
        )
        .overrideByName('median_s', [{ id: 'unit', value: units.Seconds }]),
    )
    .withPanel(
      new table.PanelBuilder()
        .id(5)
        .title('Weekly retention cohorts')
        .description('Rows: the week of first use (cohort); columns: weeks after it; cells: the share of the cohort active that week.')
        .datasource(influxdb)
        .gridPos({ x: 0, y: 15, w: 16, h: 10 })
        .withTarget(tableQuery('SELECT last("share") AS "share" FROM "retention" WHERE $timeFilter AND "kind" =~ /^$kind$/ GROUP BY "cohort", "week_offset"'))
        .unit(units.PercentUnit)
        .cellOptions({ type: common.TableCellDisplayMode.ColorBackground })
        .transformations([groupingToMatrix({ columnField: 'week_offset', rowField: 'cohort', valueField: 'share' })]),
    )
    .withPanel(
      new table.PanelBuilder()
        .id(6)
        .title('Cohort sizes')
        .description('How many subjects first used a device in each week.')
        .datasource(influxdb)
        .gridPos({ x: 16, y: 15, w: 8, h: 10 })
        .withTarget(
          tableQuery(
            'SELECT last("cohort_size") AS "subjects" FROM "retention" WHERE $timeFilter AND "kind" =~ /^$kind$/ AND "week_offset" = \'0\' GROUP BY "cohort"',
          ),
        ),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .id(7)
        .title('Lifecycle per week')
        .description(
          'New (first use), returning (active this week and the last), resurrecting (back after a pause) and dormant (active last week, not this one; drawn below zero) subjects per week.',
        )
        .datasource(influxdb)
        .gridPos({ x: 0, y: 25, w: 24, h: 9 })
        .withTarget(
          seriesQuery(
            'SELECT sum("subjects") FROM "lifecycle" WHERE $timeFilter AND "kind" =~ /^$kind$/ GROUP BY time(1w, 4d), "status" fill(0)',
            '$tag_status',
          ),
        )
        .drawStyle(common.GraphDrawStyle.Bars)
        .fillOpacity(70)
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal).group('A'))
        .overrideByName('dormant', [{ id: 'custom.transform', value: 'negative-Y' }]),
    )
    .build();
}
