import * as barchart from '@grafana/grafana-foundation-sdk/barchart';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as histogram from '@grafana/grafana-foundation-sdk/histogram';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { anyOfTag, lastValue, parcoursDashboard, seriesQuery, tableQuery, tagValues } from './parcours.js';
import { groupBy, groupingToMatrix, limit, organize, sortBy } from '../transformations.js';
import { influxdb } from '../influxql.js';

/** The options of the Sankey panel, a plugin (netsage-sankey-panel) for which the SDK has no builder. */
interface SankeyOptions {
  monochrome: boolean;
  nodeWidth: number;
  nodePadding: number;
  /** Layout passes. */
  iteration: number;
}

const sankey: SankeyOptions = { monochrome: false, nodeWidth: 20, nodePadding: 20, iteration: 7 };

/** The "Journeys & paths" dashboard, json/journeys-paths.json. */
export function journeysPaths(): dashboard.Dashboard {
  return parcoursDashboard('journeys-paths', 'Journeys & paths', {
    description:
      "Journeys (`journey`: a subject's run of sessions with short gaps between them, its `path` the device types in order) and the transitions between device types within them (`transition`, per day).",
    from: 'now-7d',
    refresh: '1m',
  })
    .withVariable(anyOfTag('subject_type', 'Subject type', tagValues('journey', 'subject_type')))
    .withVariable(anyOfTag('subject', 'Subject', tagValues('journey', 'subject', 'subject_type')))
    .withVariable(anyOfTag('device_type', 'Device type (transitions)', tagValues('transition', 'from_type')))
    .withPanel(
      new stat.PanelBuilder()
        .id(1)
        .title('Journeys')
        .description('Journeys that started in the time range.')
        .datasource(influxdb)
        .gridPos({ x: 0, y: 0, w: 4, h: 5 })
        .withTarget(seriesQuery('SELECT count("steps") FROM "journey" WHERE $timeFilter AND "subject_type" =~ /^$subject_type$/ AND "subject" =~ /^$subject$/'))
        .reduceOptions(lastValue())
        .colorMode(common.BigValueColorMode.Value)
        .graphMode(common.BigValueGraphMode.None),
    )
    .withPanel(
      new stat.PanelBuilder()
        .id(2)
        .title('Mean steps per journey')
        .description('How many sessions a journey chains, on average.')
        .datasource(influxdb)
        .gridPos({ x: 4, y: 0, w: 4, h: 5 })
        .withTarget(seriesQuery('SELECT mean("steps") FROM "journey" WHERE $timeFilter AND "subject_type" =~ /^$subject_type$/ AND "subject" =~ /^$subject$/'))
        .reduceOptions(lastValue())
        .colorMode(common.BigValueColorMode.Value)
        .graphMode(common.BigValueGraphMode.None),
    )
    .withPanel(
      new stat.PanelBuilder()
        .id(3)
        .title('Mean journey duration')
        .description("From the first session's start to the last one's end, on average.")
        .datasource(influxdb)
        .gridPos({ x: 8, y: 0, w: 4, h: 5 })
        .withTarget(
          seriesQuery('SELECT mean("duration_s") FROM "journey" WHERE $timeFilter AND "subject_type" =~ /^$subject_type$/ AND "subject" =~ /^$subject$/'),
        )
        .unit(units.Seconds)
        .reduceOptions(lastValue())
        .colorMode(common.BigValueColorMode.Value)
        .graphMode(common.BigValueGraphMode.None),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .id(4)
        .title('Journeys by subject type')
        .description('Journeys started per interval, stacked by subject type.')
        .datasource(influxdb)
        .gridPos({ x: 12, y: 0, w: 12, h: 5 })
        .withTarget(
          seriesQuery(
            'SELECT count("steps") FROM "journey" WHERE $timeFilter AND "subject_type" =~ /^$subject_type$/ AND "subject" =~ /^$subject$/ GROUP BY time($__interval), "subject_type" fill(0)',
            '$tag_subject_type',
          ),
        )
        .drawStyle(common.GraphDrawStyle.Bars)
        .fillOpacity(60)
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)),
    )
    .withPanel(
      new table.PanelBuilder()
        .id(5)
        .title('Top paths')
        .description(
          'The most frequent paths (device types in order), with how many journeys followed each and their mean duration; grouped in Grafana, as `path` is a field.',
        )
        .datasource(influxdb)
        .gridPos({ x: 0, y: 5, w: 12, h: 10 })
        .withTarget(
          tableQuery(
            'SELECT "path", "steps", "duration_s" FROM "journey" WHERE $timeFilter AND "subject_type" =~ /^$subject_type$/ AND "subject" =~ /^$subject$/',
          ),
        )
        .overrideByName('mean duration', [{ id: 'unit', value: units.Seconds }])
        .transformations([
          groupBy({
            path: { operation: 'groupby', aggregations: [] },
            steps: { operation: 'aggregate', aggregations: ['count'] },
            duration_s: { operation: 'aggregate', aggregations: ['mean'] },
          }),
          organize({ renameByName: { 'steps (count)': 'journeys', 'duration_s (mean)': 'mean duration' } }),
          sortBy([{ field: 'journeys', desc: true }]),
          limit(20),
        ]),
    )
    .withPanel(
      new table.PanelBuilder()
        .id(6)
        .title('Transitions between device types')
        .description('How often a session on one device type was followed, within a journey, by one on another, with the mean of the daily median gaps.')
        .datasource(influxdb)
        .gridPos({ x: 12, y: 5, w: 12, h: 10 })
        .withTarget(
          tableQuery(
            'SELECT sum("count") AS "transitions", mean("gap_s") AS "gap" FROM "transition" WHERE $timeFilter AND "subject_type" =~ /^$subject_type$/ AND ("from_type" =~ /^$device_type$/ OR "to_type" =~ /^$device_type$/) GROUP BY "from_type", "to_type"',
          ),
        )
        .overrideByName('gap', [{ id: 'unit', value: units.Seconds }])
        .transformations([organize({ excludeByName: { Time: true } }), sortBy([{ field: 'transitions', desc: true }])]),
    )
    .withPanel(
      new barchart.PanelBuilder()
        .id(7)
        .title('Transitions by device type')
        .description('From each device type (x axis), which device type comes next (stacked bars).')
        .datasource(influxdb)
        .gridPos({ x: 0, y: 15, w: 12, h: 10 })
        .withTarget(
          tableQuery(
            'SELECT sum("count") AS "transitions" FROM "transition" WHERE $timeFilter AND "subject_type" =~ /^$subject_type$/ AND ("from_type" =~ /^$device_type$/ OR "to_type" =~ /^$device_type$/) GROUP BY "from_type", "to_type"',
          ),
        )
        .transformations([groupingToMatrix({ rowField: 'from_type', columnField: 'to_type', valueField: 'transitions', emptyValue: 'zero' })])
        .orientation(common.VizOrientation.Auto)
        .stacking(common.StackingMode.Normal)
        .xTickLabelRotation(-30)
        .showValue(common.VisibilityMode.Never)
        .legend(new common.VizLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Right)),
    )
    .withPanel(
      new dashboard.PanelBuilder()
        .type('netsage-sankey-panel')
        .id(8)
        .title('Flow between device types')
        .description(
          'The same transitions as a Sankey diagram: band width is the number of transitions (needs the netsage-sankey-panel plugin, which the compose stack installs).',
        )
        .datasource(influxdb)
        .gridPos({ x: 12, y: 15, w: 12, h: 10 })
        .withTarget(
          tableQuery(
            'SELECT sum("count") AS "transitions" FROM "transition" WHERE $timeFilter AND "subject_type" =~ /^$subject_type$/ AND ("from_type" =~ /^$device_type$/ OR "to_type" =~ /^$device_type$/) GROUP BY "from_type", "to_type"',
          ),
        )
        .transformations([organize({ excludeByName: { Time: true }, indexByName: { from_type: 0, to_type: 1, transitions: 2 } })])
        .options(sankey),
    )
    .withPanel(
      new histogram.PanelBuilder()
        .id(9)
        .title('Journey length (steps)')
        .description('How many journeys chain 2, 3, … sessions.')
        .datasource(influxdb)
        .gridPos({ x: 0, y: 25, w: 12, h: 8 })
        .withTarget(
          seriesQuery('SELECT "steps" FROM "journey" WHERE $timeFilter AND "subject_type" =~ /^$subject_type$/ AND "subject" =~ /^$subject$/', 'steps'),
        )
        .bucketCount(20)
        .combine(false)
        .legend(new common.VizLegendOptionsBuilder().showLegend(false)),
    )
    .withPanel(
      new histogram.PanelBuilder()
        .id(10)
        .title('Journey duration')
        .description("How long journeys last, from the first session's start to the last one's end.")
        .datasource(influxdb)
        .gridPos({ x: 12, y: 25, w: 12, h: 8 })
        .withTarget(
          seriesQuery('SELECT "duration_s" FROM "journey" WHERE $timeFilter AND "subject_type" =~ /^$subject_type$/ AND "subject" =~ /^$subject$/', 'duration'),
        )
        .unit(units.Seconds)
        .bucketCount(20)
        .combine(false)
        .legend(new common.VizLegendOptionsBuilder().showLegend(false)),
    )
    .withPanel(
      new table.PanelBuilder()
        .id(11)
        .title('Latest journeys')
        .description('The last 100 journeys: whose, which path, how many steps and how long.')
        .datasource(influxdb)
        .gridPos({ x: 0, y: 33, w: 24, h: 9 })
        .withTarget(
          tableQuery(
            'SELECT "path", "steps", "duration_s", "subject", "subject_type" FROM "journey" WHERE $timeFilter AND "subject_type" =~ /^$subject_type$/ AND "subject" =~ /^$subject$/ ORDER BY time DESC LIMIT 100',
          ),
        )
        .overrideByName('duration_s', [{ id: 'unit', value: units.Seconds }]),
    )
    .build();
}
