import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as heatmap from '@grafana/grafana-foundation-sdk/heatmap';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { anyOfTag, lastValue, parcoursDashboard, seriesQuery, tableQuery, tagValues } from './parcours.js';
import { groupingToMatrix } from '../transformations.js';
import { influxdb } from '../influxql.js';

/** The "Usage sessions" dashboard, json/usage-sessions.json. */
export function usageSessions(): dashboard.Dashboard {
  return parcoursDashboard('usage-sessions', 'Usage sessions', {
    description:
      "Usage sessions derived from the devices' events (measurement `usage_session`, at the session's start), the events themselves (`usage_event`), and sessions per UTC hour (`usage_hour`).",
    from: 'now-24h',
    refresh: '1m',
  })
    .withVariable(anyOfTag('device_type', 'Device type', tagValues('usage_session', 'device_type')))
    .withVariable(anyOfTag('device', 'Device', tagValues('usage_session', 'device', 'device_type')))
    .withVariable(anyOfTag('subject_type', 'Subject type', tagValues('usage_session', 'subject_type')))
    .withVariable(anyOfTag('subject', 'Subject', tagValues('usage_session', 'subject', 'subject_type')))
    .withPanel(
      new stat.PanelBuilder()
        .id(1)
        .title('Sessions')
        .description('Usage sessions that started in the time range.')
        .datasource(influxdb)
        .gridPos({ x: 0, y: 0, w: 4, h: 4 })
        .withTarget(
          seriesQuery(
            'SELECT count("duration_s") FROM "usage_session" WHERE $timeFilter AND "device_type" =~ /^$device_type$/ AND "device" =~ /^$device$/ AND "subject_type" =~ /^$subject_type$/ AND "subject" =~ /^$subject$/',
          ),
        )
        .reduceOptions(lastValue())
        .colorMode(common.BigValueColorMode.Value)
        .graphMode(common.BigValueGraphMode.None),
    )
    .withPanel(
      new stat.PanelBuilder()
        .id(2)
        .title('Total usage time')
        .description('Sum of the lengths of those sessions.')
        .datasource(influxdb)
        .gridPos({ x: 0, y: 4, w: 4, h: 4 })
        .withTarget(
          seriesQuery(
            'SELECT sum("duration_s") FROM "usage_session" WHERE $timeFilter AND "device_type" =~ /^$device_type$/ AND "device" =~ /^$device$/ AND "subject_type" =~ /^$subject_type$/ AND "subject" =~ /^$subject$/',
          ),
        )
        .unit(units.Seconds)
        .reduceOptions(lastValue())
        .colorMode(common.BigValueColorMode.Value)
        .graphMode(common.BigValueGraphMode.None),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .id(3)
        .title('Sessions by device type')
        .description('Sessions started per interval, stacked by device type.')
        .datasource(influxdb)
        .gridPos({ x: 4, y: 0, w: 12, h: 8 })
        .withTarget(
          seriesQuery(
            'SELECT count("duration_s") FROM "usage_session" WHERE $timeFilter AND "device_type" =~ /^$device_type$/ AND "device" =~ /^$device$/ AND "subject_type" =~ /^$subject_type$/ AND "subject" =~ /^$subject$/ GROUP BY time($__interval), "device_type" fill(0)',
            '$tag_device_type',
          ),
        )
        .drawStyle(common.GraphDrawStyle.Bars)
        .fillOpacity(60)
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)),
    )
    .withPanel(
      new bargauge.PanelBuilder()
        .id(4)
        .title('Mean session length by device type')
        .description('How long one use of each kind of object lasts, on average.')
        .datasource(influxdb)
        .gridPos({ x: 16, y: 0, w: 8, h: 8 })
        .withTarget(
          seriesQuery(
            'SELECT mean("duration_s") FROM "usage_session" WHERE $timeFilter AND "device_type" =~ /^$device_type$/ AND "device" =~ /^$device$/ AND "subject_type" =~ /^$subject_type$/ AND "subject" =~ /^$subject$/ GROUP BY "device_type"',
            '$tag_device_type',
          ),
        )
        .unit(units.Seconds)
        .reduceOptions(lastValue())
        .orientation(common.VizOrientation.Horizontal)
        .displayMode(common.BarGaugeDisplayMode.Basic),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .id(5)
        .title('Usage events by device type')
        .description('Discrete usage events (start, stop, interactions) per interval.')
        .datasource(influxdb)
        .gridPos({ x: 0, y: 8, w: 12, h: 8 })
        .withTarget(
          seriesQuery(
            'SELECT count("seq") FROM "usage_event" WHERE $timeFilter AND "device_type" =~ /^$device_type$/ AND "device" =~ /^$device$/ AND "subject_type" =~ /^$subject_type$/ AND "subject" =~ /^$subject$/ GROUP BY time($__interval), "device_type" fill(0)',
            '$tag_device_type',
          ),
        )
        .drawStyle(common.GraphDrawStyle.Bars)
        .fillOpacity(60)
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .id(6)
        .title('Usage events by event type')
        .description('The same events by their type: starts and stops should pair up; interactions show how actively objects are used.')
        .datasource(influxdb)
        .gridPos({ x: 12, y: 8, w: 12, h: 8 })
        .withTarget(
          seriesQuery(
            'SELECT count("seq") FROM "usage_event" WHERE $timeFilter AND "device_type" =~ /^$device_type$/ AND "device" =~ /^$device$/ AND "subject_type" =~ /^$subject_type$/ AND "subject" =~ /^$subject$/ AND "type" = \'usage.start\' GROUP BY time($__interval) fill(0)',
            'usage.start',
          ),
        )
        .withTarget(
          seriesQuery(
            'SELECT count("seq") FROM "usage_event" WHERE $timeFilter AND "device_type" =~ /^$device_type$/ AND "device" =~ /^$device$/ AND "subject_type" =~ /^$subject_type$/ AND "subject" =~ /^$subject$/ AND "type" = \'usage.stop\' GROUP BY time($__interval) fill(0)',
            'usage.stop',
          ).refId('B'),
        )
        .withTarget(
          seriesQuery(
            'SELECT count("seq") FROM "usage_event" WHERE $timeFilter AND "device_type" =~ /^$device_type$/ AND "device" =~ /^$device$/ AND "subject_type" =~ /^$subject_type$/ AND "subject" =~ /^$subject$/ AND "type" = \'interaction\' GROUP BY time($__interval) fill(0)',
            'interaction',
          ).refId('C'),
        ),
    )
    .withPanel(
      new table.PanelBuilder()
        .id(7)
        .title('Latest sessions')
        .description('The last 100 sessions: who used which object, when, for how long; `actor` is the person, when the device knows.')
        .datasource(influxdb)
        .gridPos({ x: 0, y: 16, w: 24, h: 10 })
        .withTarget(
          tableQuery(
            'SELECT "duration_s", "events", "actor", "device", "device_type", "subject", "subject_type" FROM "usage_session" WHERE $timeFilter AND "device_type" =~ /^$device_type$/ AND "device" =~ /^$device$/ AND "subject_type" =~ /^$subject_type$/ AND "subject" =~ /^$subject$/ ORDER BY time DESC LIMIT 100',
          ),
        )
        .overrideByName('duration_s', [{ id: 'unit', value: units.Seconds }]),
    )
    .withPanel(
      new heatmap.PanelBuilder()
        .id(8)
        .title('Session duration distribution')
        .description(
          'How long sessions last, over time: each cell counts the sessions of an interval whose length falls in a bucket (log scale), from the raw `duration_s` of each session.',
        )
        .datasource(influxdb)
        .gridPos({ x: 0, y: 26, w: 12, h: 9 })
        .withTarget(
          seriesQuery(
            'SELECT "duration_s" FROM "usage_session" WHERE $timeFilter AND "device_type" =~ /^$device_type$/ AND "device" =~ /^$device$/ AND "subject_type" =~ /^$subject_type$/ AND "subject" =~ /^$subject$/',
            'duration',
          ),
        )
        .unit(units.Seconds)
        .calculate(true)
        .calculation(
          new common.HeatmapCalculationOptionsBuilder()
            .xBuckets(new common.HeatmapCalculationBucketConfigBuilder().mode(common.HeatmapCalculationMode.Size).value('$__interval'))
            .yBuckets(
              new common.HeatmapCalculationBucketConfigBuilder()
                .mode(common.HeatmapCalculationMode.Count)
                .value('12')
                .scale(new common.ScaleDistributionConfigBuilder().type(common.ScaleDistribution.Log).log(2)),
            ),
        )
        .color(new heatmap.HeatmapColorOptionsBuilder().mode(heatmap.HeatmapColorMode.Scheme).scheme('Oranges').steps(64))
        .yAxis(new heatmap.YAxisConfigBuilder().unit(units.Seconds))
        .cellGap(1)
        .mode(common.TooltipDisplayMode.Single)
        .showYHistogram(),
    )
    .withPanel(
      new table.PanelBuilder()
        .id(9)
        .title('Time of day × day of week')
        .description(
          'Sessions started per UTC hour (columns 00–23) and ISO day of the week (rows, 1 = Monday … 7 = Sunday), summed over the time range, from the `usage_hour` aggregate (InfluxQL cannot group by the hour of the day; Parcours writes the hour and weekday as tags). Filters on device type and subject type only: the aggregate is per type.',
        )
        .datasource(influxdb)
        .gridPos({ x: 12, y: 26, w: 12, h: 9 })
        .withTarget(
          tableQuery(
            'SELECT sum("sessions") AS "sessions" FROM "usage_hour" WHERE $timeFilter AND "device_type" =~ /^$device_type$/ AND "subject_type" =~ /^$subject_type$/ GROUP BY "weekday", "hour"',
          ),
        )
        .cellOptions({ type: common.TableCellDisplayMode.ColorBackground, mode: common.TableCellBackgroundDisplayMode.Gradient })
        .align(common.FieldTextAlignment.Center)
        .colorScheme(new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.ContinuousGrYlRd))
        .transformations([groupingToMatrix({ rowField: 'weekday', columnField: 'hour', valueField: 'sessions', emptyValue: 'zero' })]),
    )
    .withPanel(
      new statetimeline.PanelBuilder()
        .id(10)
        .title('Devices in use, per device of the chosen subjects')
        .description(
          "One row per device of the subjects chosen above (pick one subject to follow its devices): in use from each usage.start to the next usage.stop, from the devices' own events.",
        )
        .datasource(influxdb)
        .gridPos({ x: 0, y: 35, w: 24, h: 10 })
        .withTarget(
          seriesQuery(
            'SELECT "type" FROM "usage_event" WHERE $timeFilter AND "device_type" =~ /^$device_type$/ AND "device" =~ /^$device$/ AND "subject_type" =~ /^$subject_type$/ AND "subject" =~ /^$subject$/ AND ("type" = \'usage.start\' OR "type" = \'usage.stop\') GROUP BY "device"',
            '$tag_device',
          ),
        )
        .colorScheme(new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.Fixed).fixedColor('transparent'))
        .mappings([
          {
            type: dashboard.MappingType.ValueToText,
            options: { 'usage.start': { text: 'in use', color: 'green', index: 0 }, 'usage.stop': { text: 'idle', color: 'transparent', index: 1 } },
          },
        ])
        .rowHeight(0.8)
        .mergeValues(true)
        .showValue(common.VisibilityMode.Never)
        .alignValue(common.TimelineValueAlignment.Left)
        .legend(new common.VizLegendOptionsBuilder().showLegend(false)),
    )
    .build();
}
