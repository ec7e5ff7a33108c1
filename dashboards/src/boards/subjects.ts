import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import * as piechart from '@grafana/grafana-foundation-sdk/piechart';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { anyOfTag, lastValue, oneOfTag, parcoursDashboard, seriesQuery, tableQuery, tagValues } from './parcours.js';
import { organize, sortBy } from '../transformations.js';
import { influxdb } from '../influxql.js';

/** The "Subjects" dashboard, json/subjects.json. */
export function subjects(): Dashboard {
  return parcoursDashboard('subjects', 'Subjects', {
    description:
      'Who uses what: activity per subject type, individuals (person, visitor) and collectives (household, workplace, public_space) (`activity`, per UTC day or ISO week); how the members of a collective share its devices (`usage_share`, per day); and ephemeral members such as car-sharing renters and weekend guests, whose memberships are bounded.',
    from: 'now-30d',
    refresh: '1m',
  })
    .withVariable(oneOfTag('period', 'Period', tagValues('activity', 'period'), 'day'))
    .withVariable(anyOfTag('subject_type', 'Subject type', tagValues('activity', 'subject_type')))
    .withVariable(anyOfTag('device_type', 'Device type', tagValues('activity', 'device_type')))
    .withVariable(anyOfTag('subject', 'Collective (shared devices)', tagValues('usage_share', 'subject')))
    .withVariable(oneOfTag('ephemeral_type', 'Ephemeral subject type', tagValues('activity', 'subject_type'), 'visitor'))
    .withPanel(
      new bargauge.PanelBuilder()
        .id(1)
        .title('Sessions by subject type')
        .description(
          "Sessions in the time range per subject type: a session counts for its owner's type and, when the device reports who used it, for that person's type too, once in each.",
        )
        .datasource(influxdb)
        .gridPos({ x: 0, y: 0, w: 8, h: 8 })
        .withTarget(
          seriesQuery(
            'SELECT sum("sessions") FROM "activity" WHERE $timeFilter AND "period" = \'$period\' AND "subject_type" =~ /^$subject_type$/ AND "device_type" =~ /^$device_type$/ GROUP BY "subject_type"',
            '$tag_subject_type',
          ),
        )
        .reduceOptions(lastValue())
        .orientation(common.VizOrientation.Horizontal)
        .displayMode(common.BarGaugeDisplayMode.Basic),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .id(2)
        .title('Sessions per period by subject type')
        .description('Individuals against collectives over time: sessions per day (or week) for each subject type.')
        .datasource(influxdb)
        .gridPos({ x: 8, y: 0, w: 16, h: 8 })
        .withTarget(
          seriesQuery(
            'SELECT sum("sessions") FROM "activity" WHERE $timeFilter AND "period" = \'$period\' AND "subject_type" =~ /^$subject_type$/ AND "device_type" =~ /^$device_type$/ GROUP BY time(1d), "subject_type" fill(none)',
            '$tag_subject_type',
          ),
        )
        .drawStyle(common.GraphDrawStyle.Bars)
        .fillOpacity(60),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .id(3)
        .title('Active subjects by subject type and device type')
        .description(
          'Distinct subjects that used each device type in the period (distinct counts do not add up across device types, so each pair is its own series).',
        )
        .datasource(influxdb)
        .gridPos({ x: 0, y: 8, w: 12, h: 8 })
        .withTarget(
          seriesQuery(
            'SELECT "active_subjects" FROM "activity" WHERE $timeFilter AND "period" = \'$period\' AND "subject_type" =~ /^$subject_type$/ AND "device_type" =~ /^$device_type$/ GROUP BY "subject_type", "device_type"',
            '$tag_subject_type · $tag_device_type',
          ),
        )
        .drawStyle(common.GraphDrawStyle.Bars)
        .fillOpacity(60),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .id(4)
        .title('Active devices by subject type and device type')
        .description('Distinct devices used in the period, per subject type and device type.')
        .datasource(influxdb)
        .gridPos({ x: 12, y: 8, w: 12, h: 8 })
        .withTarget(
          seriesQuery(
            'SELECT "active_devices" FROM "activity" WHERE $timeFilter AND "period" = \'$period\' AND "subject_type" =~ /^$subject_type$/ AND "device_type" =~ /^$device_type$/ GROUP BY "subject_type", "device_type"',
            '$tag_subject_type · $tag_device_type',
          ),
        )
        .drawStyle(common.GraphDrawStyle.Bars)
        .fillOpacity(60),
    )
    .withPanel(
      new piechart.PanelBuilder()
        .id(5)
        .title('Shared-device use by member')
        .description(
          "Share of the time the chosen collectives' devices were in use, per member: reported by the device, inferred by Parcours, or unattributed (none).",
        )
        .datasource(influxdb)
        .gridPos({ x: 0, y: 16, w: 8, h: 10 })
        .withTarget(
          seriesQuery(
            'SELECT sum("duration_s") FROM "usage_share" WHERE $timeFilter AND "subject" =~ /^$subject$/ AND "device_type" =~ /^$device_type$/ GROUP BY "actor", "source"',
            '$tag_actor ($tag_source)',
          ),
        )
        .unit(units.Seconds)
        .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['sum']).fields('').values(false))
        .pieType(piechart.PieChartType.Donut)
        .displayLabels([piechart.PieChartLabels.Percent])
        .legend(
          new piechart.PieChartLegendOptionsBuilder()
            .showLegend(true)
            .displayMode(common.LegendDisplayMode.Table)
            .placement(common.LegendPlacement.Right)
            .values([piechart.PieChartLegendValues.Percent]),
        ),
    )
    .withPanel(
      new table.PanelBuilder()
        .id(6)
        .title('Shared-device usage shares')
        .description(
          'Per shared device and member: sessions, time in use and the mean of the daily shares, reported and inferred apart, and the unattributed rest (actor none).',
        )
        .datasource(influxdb)
        .gridPos({ x: 8, y: 16, w: 16, h: 10 })
        .withTarget(
          tableQuery(
            'SELECT sum("sessions") AS "sessions", sum("duration_s") AS "duration", mean("share") AS "mean daily share" FROM "usage_share" WHERE $timeFilter AND "subject" =~ /^$subject$/ AND "device_type" =~ /^$device_type$/ GROUP BY "subject", "device", "actor", "source"',
          ),
        )
        .overrideByName('duration', [{ id: 'unit', value: units.Seconds }])
        .overrideByName('mean daily share', [{ id: 'unit', value: units.PercentUnit }])
        .transformations([organize({ excludeByName: { Time: true } }), sortBy([{ field: 'duration', desc: true }])]),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .id(7)
        .title('Members using the shared devices, per day')
        .description(
          "Sessions per day on the chosen collectives' devices by member: renters and guests (bounded memberships) appear for their stay and are gone after it.",
        )
        .datasource(influxdb)
        .gridPos({ x: 0, y: 26, w: 12, h: 9 })
        .withTarget(
          seriesQuery(
            'SELECT sum("sessions") FROM "usage_share" WHERE $timeFilter AND "subject" =~ /^$subject$/ AND "device_type" =~ /^$device_type$/ AND "source" = \'reported\' GROUP BY time(1d), "actor" fill(none)',
            '$tag_actor',
          ),
        )
        .drawStyle(common.GraphDrawStyle.Bars)
        .fillOpacity(60)
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .id(8)
        .title('Ephemeral members active')
        .description(
          "Distinct subjects of the ephemeral type (the simulator's renters and guests are individuals of type `visitor` with bounded memberships) that used each device type, per period.",
        )
        .datasource(influxdb)
        .gridPos({ x: 12, y: 26, w: 12, h: 9 })
        .withTarget(
          seriesQuery(
            'SELECT "active_subjects" FROM "activity" WHERE $timeFilter AND "period" = \'$period\' AND "subject_type" = \'$ephemeral_type\' AND "device_type" =~ /^$device_type$/ GROUP BY "device_type"',
            '$tag_device_type',
          ),
        )
        .drawStyle(common.GraphDrawStyle.Bars)
        .fillOpacity(60)
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)),
    )
    .build();
}
